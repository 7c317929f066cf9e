package midtrans

import (
	"encoding/json"
	"testing"
)

// FuzzPaymentAccountNotification: no body panics the pay account parser,
// the shape test or the error rules of the pay account endpoints; a body
// taken for a pay account notification has an account_id and no order_id,
// and one taken for a transaction notification is never one.
func FuzzPaymentAccountNotification(f *testing.F) {
	f.Add([]byte(`{"account_id":"00000269-7836-49e5-bc65-e592afafec14","merchant_id":"M099098","payment_type":"gopay","status_code":"204","account_status":"DISABLED","signature_key":"ad7c"}`))
	f.Add([]byte(`{"status_code":"200","account_id":"a","account_status":"ENABLED","metadata":{"payment_options":[{"name":"GOPAY_WALLET","active":"true","balance":{"value":1000000.00,"currency":"IDR"},"token":"eyJ"}]}}`))
	f.Add([]byte(`{"account_id":1,"order_id":null,"actions":[{"name":"activation-link-url"}],"metadata":null}`))
	f.Add([]byte(`{"order_id":"A","account_id":"x"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"ACCount_id":0,"Order_ID":"x"}`)) // members match by exact name only
	f.Fuzz(func(t *testing.T, body []byte) {
		isAccount := IsPaymentAccountNotification(body)
		n, err := ParsePaymentAccountNotification(body)
		if isAccount && err == nil && n.AccountID == "" {
			var probe map[string]json.RawMessage
			if json.Unmarshal(body, &probe) == nil {
				if _, ok := probe["account_id"]; !ok {
					t.Fatalf("taken for a pay account notification without account_id: %s", body)
				}
			}
		}
		if isAccount {
			var tx struct {
				OrderID json.RawMessage `json:"order_id"`
			}
			if json.Unmarshal(body, &tx) == nil && len(tx.OrderID) > 0 && string(tx.OrderID) != "null" {
				t.Fatalf("a body with an order_id taken for a pay account notification: %s", body)
			}
		}
		if err == nil {
			n.Action(ActionActivationLinkURL)
		}
		for _, status := range []int{200, 201, 204, 404, 503} {
			for _, op := range []string{opLinkPaymentAccount, opGetPaymentAccount, opUnlinkPaymentAccount} {
				if v := classify(op, status, body); v.apiErr != nil {
					_ = v.apiErr.Error()
				}
			}
		}
	})
}
