package methodtest_test

import (
	"encoding/json"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods/methodtest"
)

// UOBEZPay is an integrator's plugin for UOB EZPay, a channel the module
// does not build in (payment_type "uob_ezpay").
type UOBEZPay struct{ name string }

// UOBEZPayOptions are its options: the host's alone, as no field is
// tagged payments:"customer".
type UOBEZPayOptions struct {
	CallbackURL string `json:"callback_url,omitempty"`
}

func NewUOBEZPay() *UOBEZPay { return &UOBEZPay{name: "uob_ezpay"} }

func (m *UOBEZPay) Name() string { return m.name }

func (m *UOBEZPay) Capabilities() payments.Capabilities {
	return payments.Capabilities{Cancel: true, Expire: true}
}

func (m *UOBEZPay) NewOptions() any { return new(UOBEZPayOptions) }

func (m *UOBEZPay) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	o, ok := payments.OptionsOf[UOBEZPayOptions](req, v)
	if ok && o.CallbackURL == "" {
		v.Add("options.callback_url", "required: UOB returns the customer there")
	}
	if req.Customer == nil {
		v.Add("customer_details", "required for UOB EZPay")
	}
}

func (m *UOBEZPay) Build(req *payments.ChargeRequest) (payments.Request, error) {
	o, err := payments.BuildOptions[UOBEZPayOptions](req)
	if err != nil {
		return payments.Request{}, err
	}
	c := payments.CoreRequest(req, "uob_ezpay")
	obj, err := json.Marshal(map[string]string{"callback_url": o.CallbackURL})
	if err != nil {
		return payments.Request{}, err
	}
	c.Extra = map[string]json.RawMessage{"uob_ezpay": obj}
	return payments.Request{Core: c}, nil
}

// The docs' request sample (fixtures/docs/charge-uob-ezpay-request.json).
const uobRequestSample = `{
  "payment_type": "uob_ezpay",
  "item_details": [{"id": "1", "price": 11000, "quantity": 1, "name": "Mobil "}],
  "transaction_details": {"order_id": "H17550", "gross_amount": 11000},
  "customer_details": {"first_name": "Andri", "last_name": "Litani", "email": "andri@example.com", "phone": "081122334455"},
  "uob_ezpay": {"callback_url": "http://example.com/uobezpay?order_id=sample-001"}
}`

// The docs have no response sample for UOB EZPay; this one follows the
// documented actions[] shape.
const uobResponseSample = `{
  "status_code": "201", "status_message": "UOB EZPay transaction is created",
  "transaction_id": "3f1b2c4d-0000-4000-8000-000000000001", "order_id": "H17550",
  "gross_amount": "11000.00", "currency": "IDR", "payment_type": "uob_ezpay",
  "transaction_time": "2026-01-05 10:00:00", "transaction_status": "pending",
  "actions": [
    {"name": "web-deeplink-redirect", "method": "GET", "url": "https://uob.example/web/1"},
    {"name": "mobile-deeplink-redirect", "method": "GET", "url": "https://uob.example/app/1"}
  ]
}`

func uobEZPaySpec() methodtest.Spec {
	customer := &payments.Customer{FirstName: "Andri", LastName: "Litani", Email: "andri@example.com", Phone: "081122334455"}
	items := []payments.Item{{ID: "1", Name: "Mobil", Price: 11000, Quantity: 1}}
	return methodtest.Spec{
		Method: NewUOBEZPay(),
		Valid: payments.ChargeRequest{OrderID: "order-1", Amount: 11000, Items: items, Customer: customer,
			Options: UOBEZPayOptions{CallbackURL: "https://shop.example/uob/return"}},
		RequestSample:  []byte(uobRequestSample),
		ResponseSample: []byte(uobResponseSample),
		Instructions: payments.Instructions{Actions: []payments.Action{
			{Name: "web-deeplink-redirect", URL: "https://uob.example/web/1"},
			{Name: "mobile-deeplink-redirect", URL: "https://uob.example/app/1"},
		}},
		Invalid: []methodtest.Invalid{
			{Name: "no callback and no customer", Fields: []string{"options.callback_url", "customer_details"},
				Request: payments.ChargeRequest{OrderID: "order-1", Amount: 11000}},
		},
	}
}

// An integrator runs the suite on its own plugin from a test in the
// plugin's package: func TestUOBEZPay(t *testing.T) { methodtest.Run(t, uobEZPaySpec()) }.
func ExampleRun() {
	var t *testing.T // the *testing.T of the test function
	methodtest.Run(t, uobEZPaySpec())
}
