package midtrans_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
)

// The client against the simulator over real HTTP: every call, the error
// kinds Midtrans answers with, and the faults that make an outcome unknown.

func simClient(t testing.TB, sim *midtranstest.Server, mod func(*midtrans.Config)) *midtrans.Client {
	t.Helper()
	cfg := midtrans.Config{ServerKey: sim.ServerKey(), ClientKey: sim.ClientKey(), BaseURL: sim.URL(),
		RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := midtrans.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newSim(t testing.TB) *midtranstest.Server {
	t.Helper()
	sim := midtranstest.NewServer(midtranstest.Config{})
	t.Cleanup(sim.Close)
	return sim
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func charge(orderID, paymentType string) *midtrans.ChargeRequest {
	return &midtrans.ChargeRequest{PaymentType: paymentType,
		TransactionDetails: midtrans.TransactionDetails{OrderID: orderID, GrossAmount: 44000},
		ItemDetails:        []midtrans.ItemDetail{{ID: "i1", Name: "Kopi", Price: 22000, Quantity: 2}},
		CustomerDetails:    &midtrans.CustomerDetails{FirstName: "Budi", Email: "budi@example.com", Phone: "081223323423"}}
}

func TestSimulatorChargeEveryMethod(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, nil)
	cases := []struct {
		name  string
		req   func(*midtrans.ChargeRequest)
		check func(t *testing.T, r *midtrans.TransactionResponse)
	}{
		{"bca", func(r *midtrans.ChargeRequest) {
			r.PaymentType = "bank_transfer"
			r.BankTransfer = &midtrans.BankTransfer{Bank: "bca"}
		},
			func(t *testing.T, r *midtrans.TransactionResponse) {
				if len(r.VANumbers) != 1 || r.VANumbers[0].Bank != "bca" || r.VANumbers[0].VANumber == "" {
					t.Fatalf("va_numbers %+v", r.VANumbers)
				}
			}},
		{"bni", func(r *midtrans.ChargeRequest) {
			r.PaymentType = "bank_transfer"
			r.BankTransfer = &midtrans.BankTransfer{Bank: "bni"}
		}, nil},
		{"bri", func(r *midtrans.ChargeRequest) {
			r.PaymentType = "bank_transfer"
			r.BankTransfer = &midtrans.BankTransfer{Bank: "bri"}
		}, nil},
		{"cimb", func(r *midtrans.ChargeRequest) {
			r.PaymentType = "bank_transfer"
			r.BankTransfer = &midtrans.BankTransfer{Bank: "cimb"}
		}, nil},
		{"permata", func(r *midtrans.ChargeRequest) {
			r.PaymentType = "bank_transfer"
			r.BankTransfer = &midtrans.BankTransfer{Bank: "permata", Permata: &midtrans.PermataOptions{RecipientName: "TOKO"}}
		}, func(t *testing.T, r *midtrans.TransactionResponse) {
			if r.PermataVANumber == "" || len(r.VANumbers) != 0 {
				t.Fatalf("permata answer %+v", r)
			}
		}},
		{"echannel", func(r *midtrans.ChargeRequest) {
			r.PaymentType = "echannel"
			r.EChannel = &midtrans.EChannel{BillInfo1: "Payment:", BillInfo2: "Online purchase"}
		}, func(t *testing.T, r *midtrans.TransactionResponse) {
			if r.BillKey == "" || r.BillerCode == "" {
				t.Fatalf("echannel answer %+v", r)
			}
		}},
		{"gopay", func(r *midtrans.ChargeRequest) {
			r.PaymentType = "gopay"
			r.GoPay = &midtrans.GoPay{EnableCallback: true, CallbackURL: "https://shop.example/back"}
		}, func(t *testing.T, r *midtrans.TransactionResponse) {
			for _, name := range []string{"generate-qr-code", "deeplink-redirect", "get-status", "cancel"} {
				if _, ok := r.Action(name); !ok {
					t.Fatalf("gopay answer lacks action %s: %+v", name, r.Actions)
				}
			}
		}},
		{"shopeepay", func(r *midtrans.ChargeRequest) {
			r.PaymentType = "shopeepay"
			r.ShopeePay = &midtrans.ShopeePay{CallbackURL: "https://shop.example/back"}
		}, func(t *testing.T, r *midtrans.TransactionResponse) {
			if _, ok := r.Action("deeplink-redirect"); !ok {
				t.Fatalf("shopeepay answer %+v", r.Actions)
			}
		}},
		{"qris", func(r *midtrans.ChargeRequest) { r.PaymentType = "qris"; r.QRIS = &midtrans.QRIS{Acquirer: "gopay"} },
			func(t *testing.T, r *midtrans.TransactionResponse) {
				if r.QRString == "" || r.ExpiryTime == "" || r.Acquirer != "gopay" {
					t.Fatalf("qris answer %+v", r)
				}
			}},
		{"indomaret", func(r *midtrans.ChargeRequest) {
			r.PaymentType = "cstore"
			r.CStore = &midtrans.CStore{Store: "indomaret"}
		},
			func(t *testing.T, r *midtrans.TransactionResponse) {
				if r.PaymentCode == "" || r.Store != "indomaret" {
					t.Fatalf("cstore answer %+v", r)
				}
			}},
		{"alfamart", func(r *midtrans.ChargeRequest) {
			r.PaymentType = "cstore"
			r.CStore = &midtrans.CStore{Store: "alfamart", AlfamartFreeText1: "Terima kasih"}
		}, nil},
		{"akulaku", func(r *midtrans.ChargeRequest) { r.PaymentType = "akulaku" },
			func(t *testing.T, r *midtrans.TransactionResponse) {
				if r.RedirectURL == "" {
					t.Fatalf("akulaku answer %+v", r)
				}
			}},
		{"card 3ds", func(r *midtrans.ChargeRequest) {
			r.PaymentType = "credit_card"
			r.CreditCard = &midtrans.CreditCard{TokenID: midtranstest.CardToken("4811111111111114"), Authentication: true}
		}, func(t *testing.T, r *midtrans.TransactionResponse) {
			if r.TransactionStatus != "pending" || r.RedirectURL == "" {
				t.Fatalf("3ds answer %+v", r)
			}
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := charge(fmt.Sprintf("sim-charge-%d", i), "")
			tc.req(req)
			r, err := c.Charge(ctxT(t), req, midtrans.WithIdempotencyKey(fmt.Sprintf("key-%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			if r.TransactionID == "" || r.OrderID != req.TransactionDetails.OrderID || r.GrossAmount != "44000.00" || len(r.Raw) == 0 {
				t.Fatalf("common fields %+v", r)
			}
			if tc.name != "card 3ds" && (r.StatusCode != "201" || r.TransactionStatus != "pending") {
				t.Fatalf("status %s/%s", r.StatusCode, r.TransactionStatus)
			}
			if _, err := midtrans.ParseTime(r.TransactionTime); err != nil {
				t.Fatalf("transaction_time %q: %v", r.TransactionTime, err)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			st, err := c.Status(ctxT(t), r.TransactionID)
			if err != nil || st.TransactionStatus != r.TransactionStatus || st.SignatureKey == "" {
				t.Fatalf("status after charge: %+v, %v", st, err)
			}
		})
	}
}

func TestSimulatorOperations(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, nil)
	ctx := ctxT(t)

	// Cancel a pending VA, then cancelling again is refused (412).
	r, err := c.Charge(ctx, withBank(charge("op-cancel", "bank_transfer"), "bni"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Cancel(ctx, r.TransactionID); err != nil || got.TransactionStatus != "cancel" {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	if _, err := c.Cancel(ctx, r.TransactionID); !errors.Is(err, midtrans.ErrCannotModify) {
		t.Fatalf("second cancel: %v, want ErrCannotModify", err)
	}

	// Expire answers 407, which is success.
	r, _ = c.Charge(ctx, withBank(charge("op-expire", "bank_transfer"), "bri"))
	if got, err := c.Expire(ctx, "op-expire"); err != nil || got.StatusCode != "407" || got.TransactionStatus != "expire" {
		t.Fatalf("expire: %+v %v", got, err)
	}
	if st, _ := c.Status(ctx, r.TransactionID); st.StatusCode != "407" {
		t.Fatalf("status of an expired transaction: %+v", st)
	}

	// Refund: only once settled; partial then the rest; too much is 414.
	r, _ = c.Charge(ctx, &midtrans.ChargeRequest{PaymentType: "gopay", TransactionDetails: midtrans.TransactionDetails{OrderID: "op-refund", GrossAmount: 10000}})
	if _, err := c.Refund(ctx, r.TransactionID, midtrans.RefundRequest{RefundKey: "rk-early", Amount: 1000}); !errors.Is(err, midtrans.ErrCannotModify) {
		t.Fatalf("refund of a pending payment: %v", err)
	}
	if err := sim.Pay("op-refund"); err != nil {
		t.Fatal(err)
	}
	got, err := c.Refund(ctx, r.TransactionID, midtrans.RefundRequest{RefundKey: "rk-1", Amount: 4000, Reason: "rusak"})
	if err != nil || got.TransactionStatus != "partial_refund" || got.RefundKey != "rk-1" {
		t.Fatalf("partial refund: %+v %v", got, err)
	}
	if _, err := c.Refund(ctx, r.TransactionID, midtrans.RefundRequest{RefundKey: "rk-2", Amount: 7000}); !errors.Is(err, midtrans.ErrRefundRejected) {
		t.Fatalf("refund over the remainder: %v, want ErrRefundRejected", err)
	}
	again, err := c.Refund(ctx, r.TransactionID, midtrans.RefundRequest{RefundKey: "rk-1", Amount: 4000, Reason: "rusak"})
	if err != nil || again.TransactionStatus != got.TransactionStatus {
		t.Fatalf("retried refund key: %+v %v", again, err)
	}
	if st, _ := c.Status(ctx, r.TransactionID); st.RefundAmount != "4000.00" {
		t.Fatalf("a retried refund key refunded twice: refund_amount %s", st.RefundAmount)
	}
	full, err := c.DirectRefund(ctx, r.TransactionID, midtrans.RefundRequest{RefundKey: "rk-3", Amount: 6000})
	if err != nil || full.TransactionStatus != "refund" {
		t.Fatalf("direct refund of the rest: %+v %v", full, err)
	}

	// Pre-authorisation and capture (by transaction id).
	auth, err := c.Charge(ctx, &midtrans.ChargeRequest{PaymentType: "credit_card",
		TransactionDetails: midtrans.TransactionDetails{OrderID: "op-capture", GrossAmount: 55000},
		CreditCard:         &midtrans.CreditCard{TokenID: midtranstest.CardToken("4811111111111114"), Type: "authorize"}})
	if err != nil || auth.TransactionStatus != "authorize" {
		t.Fatalf("authorize: %+v %v", auth, err)
	}
	if got, err := c.Capture(ctx, midtrans.CaptureRequest{TransactionID: auth.TransactionID, GrossAmount: 55000}); err != nil || got.TransactionStatus != "capture" {
		t.Fatalf("capture: %+v %v", got, err)
	}

	// Fraud review: approve one challenge, deny another.
	for _, tc := range []struct {
		order string
		op    func(context.Context, string, ...midtrans.CallOption) (*midtrans.TransactionResponse, error)
		want  string
	}{{"op-approve", c.Approve, "capture"}, {"op-deny", c.Deny, "deny"}} {
		ch, err := c.Charge(ctx, &midtrans.ChargeRequest{PaymentType: "credit_card",
			TransactionDetails: midtrans.TransactionDetails{OrderID: tc.order, GrossAmount: 30000},
			CreditCard:         &midtrans.CreditCard{TokenID: midtranstest.CardToken("4511111111111117")}})
		if err != nil || ch.FraudStatus != "challenge" || ch.StatusCode != "201" {
			t.Fatalf("challenge charge: %+v %v", ch, err)
		}
		if got, err := tc.op(ctx, ch.TransactionID); err != nil || got.TransactionStatus != tc.want {
			t.Fatalf("%s: %+v %v", tc.order, got, err)
		}
	}

	// A denied card is a result (202), not an error.
	d, err := c.Charge(ctx, &midtrans.ChargeRequest{PaymentType: "credit_card",
		TransactionDetails: midtrans.TransactionDetails{OrderID: "op-denied", GrossAmount: 30000},
		CreditCard:         &midtrans.CreditCard{TokenID: midtranstest.CardToken("4911111111111113")}})
	if err != nil || d.StatusCode != "202" || d.TransactionStatus != "deny" {
		t.Fatalf("denied card: %+v %v", d, err)
	}

	// Snap, then DANA chosen on the Snap page, followed up by transaction id.
	sn, err := c.CreateSnapTransaction(ctx, &midtrans.SnapRequest{TransactionDetails: midtrans.TransactionDetails{OrderID: "op-snap", GrossAmount: 20000},
		EnabledPayments: []string{"dana"}})
	if err != nil || sn.Token == "" || !strings.HasPrefix(sn.RedirectURL, sim.URL()) {
		t.Fatalf("snap: %+v %v", sn, err)
	}
	if _, err := c.Status(ctx, "op-snap"); !errors.Is(err, midtrans.ErrNotFound) {
		t.Fatalf("status before a method is chosen: %v, want ErrNotFound", err)
	}
	if err := sim.SelectSnapPayment("op-snap", "dana"); err != nil {
		t.Fatal(err)
	}
	tx, _ := sim.Transaction("op-snap")
	st, err := c.Status(ctx, tx.TransactionID, midtrans.WithHeader("transaction-source", "SNAP_API"))
	if err != nil || st.PaymentType != "dana" || st.TransactionStatus != "pending" {
		t.Fatalf("dana status: %+v %v", st, err)
	}
	b2b, err := c.StatusB2B(ctx, tx.TransactionID, 0, 10)
	if err != nil || len(b2b.Transactions) == 0 {
		t.Fatalf("status b2b: %+v %v", b2b, err)
	}
}

func withBank(r *midtrans.ChargeRequest, bank string) *midtrans.ChargeRequest {
	r.BankTransfer = &midtrans.BankTransfer{Bank: bank}
	return r
}

func TestSimulatorErrors(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, nil)
	ctx := ctxT(t)
	if _, err := c.Charge(ctx, withBank(charge("err-dup", "bank_transfer"), "bca")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		call func() error
		kind error
		code int
	}{
		{"duplicate order", func() error { _, err := c.Charge(ctx, withBank(charge("err-dup", "bank_transfer"), "bca")); return err }, midtrans.ErrDuplicateOrder, 406},
		{"unknown id", func() error { _, err := c.Status(ctx, "no-such-order"); return err }, midtrans.ErrNotFound, 404},
		{"validation", func() error {
			r := withBank(charge("err-val", "bank_transfer"), "bca")
			r.TransactionDetails.GrossAmount = 1 // items say 44000
			_, err := c.Charge(ctx, r)
			return err
		}, midtrans.ErrValidation, 400},
		{"bad token", func() error {
			_, err := c.Charge(ctx, &midtrans.ChargeRequest{PaymentType: "credit_card", TransactionDetails: midtrans.TransactionDetails{OrderID: "err-tok", GrossAmount: 1000},
				CreditCard: &midtrans.CreditCard{TokenID: "nonsense"}})
			return err
		}, midtrans.ErrTokenInvalid, 411},
		{"wrong key", func() error {
			bad := simClient(t, sim, func(cfg *midtrans.Config) { cfg.ServerKey = "SB-Mid-server-wrong" })
			_, err := bad.Status(ctx, "err-dup")
			return err
		}, midtrans.ErrUnauthorized, 401},
		{"snap wrong key", func() error {
			bad := simClient(t, sim, func(cfg *midtrans.Config) { cfg.ServerKey = "SB-Mid-server-wrong" })
			_, err := bad.CreateSnapTransaction(ctx, &midtrans.SnapRequest{TransactionDetails: midtrans.TransactionDetails{OrderID: "err-snap", GrossAmount: 1000}})
			return err
		}, midtrans.ErrUnauthorized, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var apiErr *midtrans.APIError
			if !errors.Is(err, tc.kind) || !errors.As(err, &apiErr) || apiErr.Code != tc.code {
				t.Fatalf("err = %v, want %v with code %d", err, tc.kind, tc.code)
			}
			if strings.Contains(err.Error(), sim.ServerKey()) {
				t.Fatalf("error leaks the key: %v", err)
			}
		})
	}
}

func TestSimulatorFaults(t *testing.T) {
	t.Run("transient errors are retried with the same key", func(t *testing.T) {
		sim := newSim(t)
		c := simClient(t, sim, nil)
		sim.FailNext(2, http.StatusServiceUnavailable)
		r, err := c.Charge(ctxT(t), withBank(charge("fault-retry", "bank_transfer"), "bni"), midtrans.WithIdempotencyKey("fault-retry-key"))
		if err != nil || r.TransactionStatus != "pending" {
			t.Fatalf("charge after two 503s: %+v %v", r, err)
		}
		var keys []string
		for _, call := range sim.Calls() {
			if call.Path == "/v2/charge" {
				keys = append(keys, call.IdempotencyKey)
			}
		}
		if len(keys) != 3 || keys[0] != "fault-retry-key" || keys[2] != "fault-retry-key" {
			t.Fatalf("charge attempts with keys %v", keys)
		}
	})
	t.Run("no retry without a key", func(t *testing.T) {
		sim := newSim(t)
		c := simClient(t, sim, nil)
		sim.FailNext(1, http.StatusServiceUnavailable)
		_, err := c.Charge(ctxT(t), withBank(charge("fault-nokey", "bank_transfer"), "bni"))
		if !errors.Is(err, midtrans.ErrUpstreamUnavailable) {
			t.Fatalf("err = %v", err)
		}
		if _, ok := sim.Transaction("fault-nokey"); ok {
			t.Fatal("the failed charge was processed")
		}
	})
	t.Run("dropped response is an unknown outcome that status resolves", func(t *testing.T) {
		sim := newSim(t)
		c := simClient(t, sim, func(cfg *midtrans.Config) { cfg.MaxRetries = -1 })
		sim.DropNextResponses(1)
		_, err := c.Charge(ctxT(t), withBank(charge("fault-drop", "bank_transfer"), "bri"))
		if !errors.Is(err, midtrans.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "unknown") {
			t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
		}
		st, err := c.Status(ctxT(t), "fault-drop")
		if err != nil || st.TransactionStatus != "pending" {
			t.Fatalf("status resolves the unknown outcome: %+v %v", st, err)
		}
	})
	t.Run("dropped response, then the keyed retry gets the first answer", func(t *testing.T) {
		sim := newSim(t)
		c := simClient(t, sim, nil)
		sim.DropNextResponses(1)
		r, err := c.Charge(ctxT(t), withBank(charge("fault-drop-key", "bank_transfer"), "bca"), midtrans.WithIdempotencyKey("drop-key"))
		if err != nil || r.TransactionStatus != "pending" {
			t.Fatalf("keyed charge across a dropped response: %+v %v", r, err)
		}
	})
	t.Run("timeout is an unknown outcome", func(t *testing.T) {
		sim := newSim(t)
		c := simClient(t, sim, func(cfg *midtrans.Config) { cfg.Timeout = 50 * time.Millisecond; cfg.MaxRetries = -1 })
		sim.SetLatency(300 * time.Millisecond)
		_, err := c.Charge(ctxT(t), withBank(charge("fault-slow", "bank_transfer"), "bni"))
		if !errors.Is(err, midtrans.ErrOutcomeUnknown) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestSimulatorNotificationsOverride: per-call notification headers reach
// the simulator and route its notifications.
func TestSimulatorNotificationsOverride(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := new(strings.Builder)
		_, _ = fmt.Fprint(buf, r.Header.Get("User-Agent"))
		mu.Lock()
		bodies = append(bodies, buf.String())
		mu.Unlock()
	}))
	defer hook.Close()
	sim := newSim(t)
	c := simClient(t, sim, nil)
	if _, err := c.Charge(ctxT(t), withBank(charge("notify-override", "bank_transfer"), "bca"), midtrans.WithOverrideNotification(hook.URL+"/a")); err != nil {
		t.Fatal(err)
	}
	if err := sim.Pay("notify-override"); err != nil {
		t.Fatal(err)
	}
	if err := sim.WaitIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 || bodies[0] != "Veritrans" {
		t.Fatalf("notifications received: %v", bodies)
	}
}

// BenchmarkChargeRoundTrip measures one charge through the client against
// the simulator over loopback HTTP: encode, send, simulate, decode.
func BenchmarkChargeRoundTrip(b *testing.B) {
	sim := newSim(b)
	c := simClient(b, sim, nil)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		req := withBank(charge(fmt.Sprintf("bench-%d", i), "bank_transfer"), "bca")
		if _, err := c.Charge(ctx, req, midtrans.WithIdempotencyKey(fmt.Sprintf("bench-key-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
}
