package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/adapters/nethttp"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/notify"
	"github.com/nusapay/payments/store"
)

// A payment type the simulator does not know, taught to it with
// midtranstest.Config.PaymentTypes, so an integrator's plugin for it is
// tested offline end to end: charged through a Service, paid by a signed
// notification to the mounted webhook, its hook fired.

// acmeWallet is a plugin for an e-wallet Midtrans would route as
// payment_type "acme_wallet"; the customer types the wallet's phone.
type acmeWallet struct{}

type acmeOptions struct {
	Phone string `json:"phone" payments:"customer"`
}

func (acmeWallet) Name() string                        { return "acme_wallet" }
func (acmeWallet) NewOptions() any                     { return new(acmeOptions) }
func (acmeWallet) Capabilities() payments.Capabilities { return payments.Capabilities{Cancel: true} }
func (acmeWallet) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	if o, ok := payments.OptionsOf[acmeOptions](req, v); ok && o.Phone == "" {
		v.Add("options.phone", "required")
	}
}
func (acmeWallet) Build(req *payments.ChargeRequest) (payments.Request, error) {
	o, err := payments.BuildOptions[acmeOptions](req)
	if err != nil {
		return payments.Request{}, err
	}
	obj, err := json.Marshal(o)
	if err != nil {
		return payments.Request{}, err
	}
	c := payments.CoreRequest(req, "acme_wallet")
	c.Extra = map[string]json.RawMessage{"acme_wallet": obj}
	return payments.Request{Core: c}, nil
}

// acmeAnswer is how the simulator answers an acme_wallet charge: a
// deeplink to the wallet app, as e-wallet charges carry.
func acmeAnswer(v midtranstest.ChargeView) (map[string]any, error) {
	phone, _ := v.Object["phone"].(string)
	if phone == "" {
		return nil, errors.New("acme_wallet.phone is required")
	}
	return map[string]any{"actions": []map[string]any{{"name": "deeplink-redirect", "method": "GET",
		"url": v.BaseURL + "/acme/pay/" + v.TransactionID}}}, nil
}

func TestCustomPaymentTypeEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.OpenSQLite(filepath.Join(t.TempDir(), "payments.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	st, err := store.New(db)
	if err != nil {
		t.Fatal(err)
	}
	sim := midtranstest.NewServer(midtranstest.Config{
		PaymentTypes: map[string]midtranstest.PaymentTypeFunc{"acme_wallet": acmeAnswer}})
	t.Cleanup(sim.Close)
	client, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL(),
		HTTPClient: &http.Client{Transport: &http.Transport{}}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := payments.New(client, st, payments.WithMethods(methods.Default()...), payments.WithMethods(acmeWallet{}))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var paid []string
	svc.Connect(payments.SignalPaid, func(_ context.Context, e *payments.Event) error {
		mu.Lock()
		defer mu.Unlock()
		paid = append(paid, e.Payment.OrderID+" "+e.Payment.Method)
		return nil
	})

	// The webhook, mounted as a host would, is the simulator's notification URL.
	h, err := notify.New(svc)
	if err != nil {
		t.Fatal(err)
	}
	api, err := adapters.New(svc, adapters.WithNotifyHandler(h))
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(nethttp.Handler(api))
	t.Cleanup(web.Close)
	sim.SetNotificationURL(web.URL + api.Prefix() + "/notifications")

	p, err := svc.CreateCharge(ctx, &payments.ChargeRequest{OrderID: "acme-1", Method: "acme_wallet", Amount: 20000,
		Options: acmeOptions{Phone: "081111111111"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != payments.StatusPending || p.PaymentType != "acme_wallet" ||
		!strings.HasPrefix(p.Instructions.DeeplinkURL, sim.URL()+"/acme/pay/") {
		t.Fatalf("charged: %s %s deeplink %q", p.Status, p.PaymentType, p.Instructions.DeeplinkURL)
	}

	if err := sim.Pay("acme-1"); err != nil {
		t.Fatal(err)
	}
	if err := sim.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range sim.Deliveries() {
		if d.StatusCode != http.StatusOK {
			t.Fatalf("the webhook answered %d to %s", d.StatusCode, d.Body)
		}
	}
	if p, err = svc.Payment(ctx, "acme-1"); err != nil {
		t.Fatal(err)
	}
	if !p.Paid() || p.Status != payments.StatusSettlement {
		t.Fatalf("after the notification: %s paid=%v", p.Status, p.Paid())
	}
	if _, err := svc.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paid) != 1 || paid[0] != "acme-1 acme_wallet" {
		t.Fatalf("paid hook: %v", paid)
	}
}
