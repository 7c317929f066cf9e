package payments_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
)

func items() []payments.Item {
	return []payments.Item{{ID: "sku-1", Name: "Kopi Gayo 250g", Price: 60000, Quantity: 2}, {ID: "sku-2", Name: "Ongkir", Price: 25000, Quantity: 1}}
}

func customer() *payments.Customer {
	return &payments.Customer{FirstName: "Budi", LastName: "Utomo", Email: "budi@example.com", Phone: "081223323423"}
}

func chargeReq(orderID, method string, opts any) *payments.ChargeRequest {
	return &payments.ChargeRequest{OrderID: orderID, Method: method, Amount: 145000, Items: items(), Customer: customer(), Options: opts}
}

func chargeCalls(sim *midtranstest.Server) int {
	n := 0
	for _, c := range sim.Calls() {
		if c.Path == "/v2/charge" || c.Path == "/snap/v1/transactions" {
			n++
		}
	}
	return n
}

func card(number string) methods.CardOptions {
	return methods.CardOptions{TokenID: midtranstest.CardToken(number)}
}

func noThreeDS(number string) methods.CardOptions {
	off := false
	return methods.CardOptions{TokenID: midtranstest.CardToken(number), Authentication: &off}
}

// TestChargeEveryMethod charges every built-in method through the Service
// and checks the payment holds what a checkout page shows, then pays it at
// the simulator and syncs it to paid.
func TestChargeEveryMethod(t *testing.T) {
	cases := []struct {
		method string
		opts   any
		status payments.Status
		check  func(t *testing.T, p *payments.Payment)
	}{
		{"bca_va", methods.VAOptions{SubCompanyCode: "00000"}, payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.VANumber == "" || p.Bank != "bca" {
				t.Fatalf("bca instructions %+v", p.Instructions)
			}
		}},
		{"bni_va", nil, payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.VANumber == "" || p.Bank != "bni" {
				t.Fatalf("bni instructions %+v", p.Instructions)
			}
		}},
		{"bri_va", nil, payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.VANumber == "" || p.Bank != "bri" {
				t.Fatalf("bri instructions %+v", p.Instructions)
			}
		}},
		{"permata_va", methods.VAOptions{RecipientName: "TOKO KOPI"}, payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.VANumber == "" || p.Bank != "permata" {
				t.Fatalf("permata instructions %+v", p.Instructions)
			}
		}},
		{"cimb_va", methods.VAOptions{VANumber: "1234567890"}, payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.VANumber == "" || p.Bank != "cimb" {
				t.Fatalf("cimb instructions %+v", p.Instructions)
			}
		}},
		{"echannel", nil, payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.BillKey == "" || p.BillerCode == "" {
				t.Fatalf("echannel instructions %+v", p.Instructions)
			}
		}},
		{"gopay", methods.GoPayOptions{CallbackURL: "https://shop.example/done"}, payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.QRImageURL == "" || p.DeeplinkURL == "" {
				t.Fatalf("gopay instructions %+v", p.Instructions)
			}
			if _, ok := p.Action(payments.ActionGetStatus); !ok {
				t.Fatalf("gopay actions %+v", p.Actions)
			}
		}},
		{"shopeepay", methods.ShopeePayOptions{CallbackURL: "https://shop.example/done"}, payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.DeeplinkURL == "" {
				t.Fatalf("shopeepay instructions %+v", p.Instructions)
			}
		}},
		{"qris", methods.QRISOptions{Acquirer: "gopay"}, payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.QRString == "" || p.QRImageURL == "" || p.Acquirer != "gopay" || p.ExpiresAt.IsZero() {
				t.Fatalf("qris instructions %+v expires %v", p.Instructions, p.ExpiresAt)
			}
		}},
		{"indomaret", methods.CStoreOptions{Message: "Kopi"}, payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.PaymentCode == "" || p.Store != "indomaret" {
				t.Fatalf("indomaret instructions %+v", p.Instructions)
			}
		}},
		{"alfamart", methods.CStoreOptions{AlfamartFreeText1: "Terima kasih"}, payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.PaymentCode == "" || p.Store != "alfamart" {
				t.Fatalf("alfamart instructions %+v", p.Instructions)
			}
		}},
		{"akulaku", nil, payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.RedirectURL == "" {
				t.Fatalf("akulaku instructions %+v", p.Instructions)
			}
		}},
		{"credit_card", card("4811111111111114"), payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.RedirectURL == "" || p.Card == nil || p.Card.MaskedCard == "" {
				t.Fatalf("3DS card instructions %+v", p.Instructions)
			}
		}},
		{"dana", methods.DanaOptions{CallbackURL: "https://shop.example/done"}, payments.StatusPending, func(t *testing.T, p *payments.Payment) {
			if p.RedirectURL == "" || p.SnapToken == "" || p.TransactionID != "" {
				t.Fatalf("dana instructions %+v", p.Instructions)
			}
		}},
	}
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		for _, tc := range cases {
			t.Run(tc.method, func(t *testing.T) {
				ctx := testenv.Ctx(t)
				orderID := "every-" + tc.method
				p, err := env.Service.CreateCharge(ctx, chargeReq(orderID, tc.method, tc.opts))
				if err != nil {
					t.Fatal(err)
				}
				if p.Status != tc.status || p.Method != tc.method || p.Amount != 145000 || p.Version < 2 || len(p.ChargeResponse) == 0 {
					t.Fatalf("after charge: %s %s v%d", p.Status, p.Method, p.Version)
				}
				if tc.method != "dana" && (p.TransactionID == "" || p.PaymentType == "") {
					t.Fatalf("transaction id/payment type not stored: %+v", p)
				}
				tc.check(t, p)
				stored, err := env.Service.Payment(ctx, orderID)
				if err != nil || stored.Version != p.Version || stored.VANumber != p.VANumber || stored.QRString != p.QRString {
					t.Fatalf("stored payment differs: %+v %v", stored, err)
				}
				// The customer pays; a status sync brings the payment to paid.
				if err := env.Sim.Pay(orderID); err != nil {
					t.Fatal(err)
				}
				if tc.method == "dana" {
					return // followed up by transaction id, known from its notification (see notify tests)
				}
				synced, err := env.Service.Sync(ctx, orderID)
				if err != nil {
					t.Fatal(err)
				}
				if !synced.Paid() || synced.PaidAt.IsZero() {
					t.Fatalf("after pay + sync: %s/%s", synced.Status, synced.FraudStatus)
				}
				// Instructions survive the status answer, which repeats them only in part.
				tc.check(t, synced)
			})
		}
	})
}

func TestChargeValidation(t *testing.T) {
	env := testenv.New(t, dbtestSQLite(t), testenv.Config{})
	long := strings.Repeat("x", 51)
	cases := []struct {
		name   string
		req    *payments.ChargeRequest
		fields []string
	}{
		{"empty", &payments.ChargeRequest{}, []string{"order_id", "method", "gross_amount"}},
		{"bad order id", chargeReq("order #1", "bca_va", nil), []string{"order_id"}},
		{"long order id", chargeReq(long, "bca_va", nil), []string{"order_id"}},
		{"unknown method", chargeReq("v-1", "bitcoin", nil), []string{"method"}},
		{"items do not add up", func() *payments.ChargeRequest { r := chargeReq("v-2", "bca_va", nil); r.Amount = 1000; return r }(), []string{"item_details"}},
		{"item name too long", func() *payments.ChargeRequest {
			r := chargeReq("v-3", "bca_va", nil)
			r.Items[0].Name = long
			return r
		}(), []string{"item_details[0].name"}},
		{"item quantity zero", func() *payments.ChargeRequest {
			r := chargeReq("v-4", "bca_va", nil)
			r.Items[1].Quantity = 0
			return r
		}(), []string{"item_details[1].quantity"}},
		{"bad email and phone", func() *payments.ChargeRequest {
			r := chargeReq("v-5", "bca_va", nil)
			r.Customer.Email = "budi@"
			r.Customer.Phone = "call me"
			return r
		}(), []string{"customer_details.email", "customer_details.phone"}},
		{"card without token", chargeReq("v-6", "credit_card", methods.CardOptions{}), []string{"options.token_id"}},
		{"akulaku without items and customer", &payments.ChargeRequest{OrderID: "v-7", Method: "akulaku", Amount: 5000}, []string{"item_details", "customer_details"}},
		{"metadata not an object", func() *payments.ChargeRequest {
			r := chargeReq("v-8", "bca_va", nil)
			r.Metadata = []byte(`[1,2]`)
			return r
		}(), []string{"metadata"}},
		{"expiry too short", func() *payments.ChargeRequest { r := chargeReq("v-9", "gopay", nil); r.Expiry = time.Second; return r }(), []string{"expiry"}},
		{"too many notification urls", func() *payments.ChargeRequest {
			r := chargeReq("v-10", "gopay", nil)
			r.OverrideNotificationURLs = []string{"https://a/1", "https://a/2", "https://a/3", "https://a/4"}
			r.AppendNotificationURLs = []string{"ftp://x"}
			return r
		}(), []string{"override_notification_urls", "append_notification_urls[0]"}},
		{"wrong options type", chargeReq("v-11", "gopay", methods.QRISOptions{}), []string{"options"}},
		{"negative amount", &payments.ChargeRequest{OrderID: "v-12", Method: "gopay", Amount: -5}, []string{"gross_amount"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testenv.Ctx(t)
			p, err := env.Service.CreateCharge(ctx, tc.req)
			var ve *payments.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, payments.ErrValidation) || p != nil {
				t.Fatalf("CreateCharge = %v, %v; want a ValidationError", p, err)
			}
			for _, f := range tc.fields {
				if !ve.Has(f) {
					t.Errorf("error %q does not name %s", err, f)
				}
			}
			if tc.req.OrderID != "" {
				// An id no payment can have is refused before the lookup.
				if _, err := env.Service.Payment(ctx, tc.req.OrderID); !errors.Is(err, payments.ErrNotFound) && !errors.Is(err, payments.ErrValidation) {
					t.Errorf("invalid charge stored a payment: %v", err)
				}
			}
		})
	}
	if n := chargeCalls(env.Sim); n != 0 {
		t.Fatalf("invalid charges reached Midtrans %d times", n)
	}
}

func TestChargeDuplicateOrder(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		first, err := env.Service.CreateCharge(ctx, chargeReq("dup-1", "bni_va", nil))
		if err != nil {
			t.Fatal(err)
		}
		for _, method := range []string{"bni_va", "gopay"} {
			again, err := env.Service.CreateCharge(ctx, chargeReq("dup-1", method, nil))
			if !errors.Is(err, payments.ErrDuplicateOrder) || again == nil || again.ID != first.ID || again.VANumber != first.VANumber {
				t.Fatalf("charging %s again: %+v %v", method, again, err)
			}
		}
		if n := chargeCalls(env.Sim); n != 1 {
			t.Fatalf("the order was charged %d times", n)
		}
	})
}

// TestChargeUnknownOutcome: the response is lost after Midtrans made the
// transaction; the payment is unknown, never failed, and a sync finds it.
func TestChargeUnknownOutcome(t *testing.T) {
	testenv.Each(t, testenv.Config{Client: func(c *midtrans.Config) { c.MaxRetries = -1 }}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		env.Sim.DropNextResponses(1)
		p, err := env.Service.CreateCharge(ctx, chargeReq("unknown-1", "bri_va", nil))
		if !errors.Is(err, payments.ErrOutcomeUnknown) || p == nil || p.Status != payments.StatusUnknown || p.Outcome() == payments.OutcomeFailed {
			t.Fatalf("after a lost response: %s %v", show(p), err)
		}
		synced, err := env.Service.Sync(ctx, "unknown-1")
		if err != nil || synced.Status != payments.StatusPending || synced.VANumber == "" || synced.TransactionID == "" {
			t.Fatalf("sync of the unknown charge: %s %v", show(synced), err)
		}
		if n := chargeCalls(env.Sim); n != 1 {
			t.Fatalf("charged %d times", n)
		}
	})
}

// TestChargeResumesWithSameKey: a charge that timed out is charged again
// by the caller; the same idempotency key gets Midtrans' single transaction.
func TestChargeResumesWithSameKey(t *testing.T) {
	testenv.Each(t, testenv.Config{Client: func(c *midtrans.Config) { c.MaxRetries = -1 }}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		env.Sim.DropNextResponses(1)
		if _, err := env.Service.CreateCharge(ctx, chargeReq("resume-1", "gopay", nil)); !errors.Is(err, payments.ErrOutcomeUnknown) {
			t.Fatalf("first charge: %v", err)
		}
		p, err := env.Service.CreateCharge(ctx, chargeReq("resume-1", "gopay", nil))
		if err != nil || p.Status != payments.StatusPending || p.DeeplinkURL == "" {
			t.Fatalf("resumed charge: %s %v", show(p), err)
		}
		var keys []string
		for _, c := range env.Sim.Calls() {
			if c.Path == "/v2/charge" {
				keys = append(keys, c.IdempotencyKey)
			}
		}
		if len(keys) != 2 || keys[0] != keys[1] || keys[0] != p.ID {
			t.Fatalf("charge keys %v, want the payment id twice", keys)
		}
	})
}

func TestChargeUnknownThenNeverMade(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		now := time.Now()
		env := testenv.New(t, db, testenv.Config{Options: []payments.Option{payments.WithClock(func() time.Time { return now })}})
		ctx := testenv.Ctx(t)
		env.Sim.FailNext(3, 500) // every attempt fails: nothing made, but the caller cannot know that
		p, err := env.Service.CreateCharge(ctx, chargeReq("never-1", "echannel", nil))
		if !errors.Is(err, payments.ErrOutcomeUnknown) || p.Status != payments.StatusUnknown {
			t.Fatalf("after 500s: %s %v", p.Status, err)
		}
		// Within the grace period, "not found" changes nothing.
		if got, err := env.Service.Sync(ctx, "never-1"); err != nil || got.Status != payments.StatusUnknown {
			t.Fatalf("early sync: %s %v", got.Status, err)
		}
		now = now.Add(11 * time.Minute)
		got, err := env.Service.Sync(ctx, "never-1")
		if err != nil || got.Status != payments.StatusFailure || !strings.Contains(got.StatusMessage, "never reached") {
			t.Fatalf("late sync: %s %q %v", got.Status, got.StatusMessage, err)
		}
	})
}

func TestChargeRefusedByMidtrans(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		p, err := env.Service.CreateCharge(ctx, chargeReq("refused-1", "credit_card", methods.CardOptions{TokenID: "not-a-real-token"}))
		if !errors.Is(err, midtrans.ErrTokenInvalid) || p == nil || p.Status != payments.StatusFailure || p.StatusMessage == "" {
			t.Fatalf("refused charge: %s %v", show(p), err)
		}
		// A denied card is a result, not an error.
		d, err := env.Service.CreateCharge(ctx, chargeReq("denied-1", "credit_card", noThreeDS("4911111111111113")))
		if err != nil || d.Status != payments.StatusDeny || d.Outcome() != payments.OutcomeFailed || d.Card == nil || d.ChannelResponseCode != "05" {
			t.Fatalf("denied card: %s %v", show(d), err)
		}
	})
}

func TestCardFlows(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		svc := env.Service
		// Captured at once without 3DS, then settled.
		p, err := svc.CreateCharge(ctx, chargeReq("card-capture", "credit_card", noThreeDS("4811111111111114")))
		if err != nil || p.Status != payments.StatusCapture || !p.Paid() || p.Card.ApprovalCode == "" {
			t.Fatalf("capture: %s %v", show(p), err)
		}
		if err := env.Sim.Settle("card-capture"); err != nil {
			t.Fatal(err)
		}
		if p, err = svc.Sync(ctx, "card-capture"); err != nil || p.Status != payments.StatusSettlement {
			t.Fatalf("settle: %s %v", show(p), err)
		}
		// Pre-authorisation, then a partial capture.
		auth := noThreeDS("4811111111111114")
		auth.Authorize = true
		p, err = svc.CreateCharge(ctx, chargeReq("card-auth", "credit_card", auth))
		if err != nil || p.Status != payments.StatusAuthorize || p.Outcome() != payments.OutcomeAuthorized {
			t.Fatalf("authorize: %s %v", show(p), err)
		}
		if _, err := svc.Capture(ctx, "card-auth", 999999); !errors.Is(err, payments.ErrValidation) {
			t.Fatalf("capture above the authorisation: %v", err)
		}
		if p, err = svc.Capture(ctx, "card-auth", 100000); err != nil || p.Status != payments.StatusCapture || !p.Paid() {
			t.Fatalf("capture: %s %v", show(p), err)
		}
		if _, err := svc.Capture(ctx, "card-auth", 0); !errors.Is(err, payments.ErrNotAllowed) {
			t.Fatalf("second capture: %v", err)
		}
		// Fraud review: approve and deny.
		for _, tc := range []struct {
			order string
			op    func(ctxOrder string) (*payments.Payment, error)
			want  payments.Outcome
		}{
			{"card-approve", func(o string) (*payments.Payment, error) { return svc.Approve(ctx, o) }, payments.OutcomePaid},
			{"card-deny", func(o string) (*payments.Payment, error) { return svc.Deny(ctx, o) }, payments.OutcomeFailed},
		} {
			p, err := svc.CreateCharge(ctx, chargeReq(tc.order, "credit_card", noThreeDS("4511111111111117")))
			if err != nil || p.Outcome() != payments.OutcomeInReview {
				t.Fatalf("challenge: %s %v", show(p), err)
			}
			if p, err = tc.op(tc.order); err != nil || p.Outcome() != tc.want {
				t.Fatalf("%s: %+v %v", tc.order, p, err)
			}
		}
		// 3DS: pending with a redirect, the customer authenticates, then capture.
		p, err = svc.CreateCharge(ctx, chargeReq("card-3ds", "credit_card", card("4811111111111114")))
		if err != nil || p.Status != payments.StatusPending || p.RedirectURL == "" {
			t.Fatalf("3ds: %s %v", show(p), err)
		}
		if err := env.Sim.Pay("card-3ds"); err != nil {
			t.Fatal(err)
		}
		if p, err = svc.Sync(ctx, "card-3ds"); err != nil || !p.Paid() {
			t.Fatalf("3ds after authentication: %s %v", show(p), err)
		}
		// Cancel (void) a captured card before settlement.
		if p, err = svc.Cancel(ctx, "card-3ds"); err != nil || p.Status != payments.StatusCancel {
			t.Fatalf("void: %s %v", show(p), err)
		}
	})
}

// TestOperationsRefusedLocally: an operation the method cannot do, or the
// state forbids, never reaches Midtrans.
func TestOperationsRefusedLocally(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		svc := env.Service
		if _, err := svc.CreateCharge(ctx, chargeReq("local-va", "bca_va", nil)); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateCharge(ctx, chargeReq("local-gopay", "gopay", nil)); err != nil {
			t.Fatal(err)
		}
		before := len(env.Sim.Calls())
		cases := []struct {
			name string
			call func() error
			want error
		}{
			{"refund a VA", func() error { _, _, err := svc.Refund(ctx, "local-va", payments.RefundRequest{}); return err }, payments.ErrUnsupported},
			{"capture a VA", func() error { _, err := svc.Capture(ctx, "local-va", 0); return err }, payments.ErrUnsupported},
			{"approve gopay", func() error { _, err := svc.Approve(ctx, "local-gopay"); return err }, payments.ErrUnsupported},
			{"refund pending gopay", func() error { _, _, err := svc.Refund(ctx, "local-gopay", payments.RefundRequest{}); return err }, payments.ErrNotAllowed},
			{"unknown order", func() error { _, err := svc.Cancel(ctx, "no-such-order"); return err }, payments.ErrNotFound},
		}
		for _, tc := range cases {
			if err := tc.call(); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
		if after := len(env.Sim.Calls()); after != before {
			t.Fatalf("refused operations made %d API calls", after-before)
		}
		if err := env.Sim.Pay("local-gopay"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sync(ctx, "local-gopay"); err != nil {
			t.Fatal(err)
		}
		before = len(env.Sim.Calls())
		if _, err := svc.Expire(ctx, "local-gopay"); !errors.Is(err, payments.ErrNotAllowed) {
			t.Errorf("expire a paid payment: %v", err)
		}
		if _, err := svc.Cancel(ctx, "local-gopay"); !errors.Is(err, payments.ErrNotAllowed) {
			t.Errorf("cancel a settled payment: %v", err)
		}
		if after := len(env.Sim.Calls()); after != before {
			t.Fatalf("refused operations made %d API calls", after-before)
		}
	})
}

func TestCancelAndExpire(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		svc := env.Service
		for _, m := range []string{"bca_va", "echannel", "indomaret", "qris", "akulaku", "shopeepay"} {
			if _, err := svc.CreateCharge(ctx, chargeReq("cancel-"+m, m, nil)); err != nil {
				t.Fatal(err)
			}
			p, err := svc.Cancel(ctx, "cancel-"+m)
			if err != nil || p.Status != payments.StatusCancel {
				t.Fatalf("cancel %s: %+v %v", m, p, err)
			}
			if _, err := svc.CreateCharge(ctx, chargeReq("expire-"+m, m, nil)); err != nil {
				t.Fatal(err)
			}
			p, err = svc.Expire(ctx, "expire-"+m)
			if err != nil || p.Status != payments.StatusExpire {
				t.Fatalf("expire %s: %+v %v", m, p, err)
			}
		}
		// Midtrans refuses (412) because the customer paid meanwhile: the
		// error says so and the payment is synced to the truth.
		if _, err := svc.CreateCharge(ctx, chargeReq("expire-race", "gopay", nil)); err != nil {
			t.Fatal(err)
		}
		if err := env.Sim.Pay("expire-race"); err != nil {
			t.Fatal(err)
		}
		p, err := svc.Expire(ctx, "expire-race")
		if !errors.Is(err, payments.ErrNotAllowed) || !errors.Is(err, midtrans.ErrCannotModify) || !p.Paid() {
			t.Fatalf("expire after payment: %s %v", show(p), err)
		}
	})
}

func TestRefunds(t *testing.T) {
	testenv.Each(t, testenv.Config{Client: func(c *midtrans.Config) { c.MaxRetries = -1 }}, func(t *testing.T, env *testenv.Env) {
		ctx := testenv.Ctx(t)
		svc := env.Service
		paid := func(orderID, method string) {
			t.Helper()
			if _, err := svc.CreateCharge(ctx, chargeReq(orderID, method, nil)); err != nil {
				t.Fatal(err)
			}
			if err := env.Sim.Pay(orderID); err != nil {
				t.Fatal(err)
			}
			if p, err := svc.Sync(ctx, orderID); err != nil || !p.Paid() {
				t.Fatalf("pay %s: %+v %v", orderID, p, err)
			}
		}
		paid("refund-gopay", "gopay")
		p, r, err := svc.Refund(ctx, "refund-gopay", payments.RefundRequest{Amount: 45000, Reason: "barang rusak"})
		if err != nil || p.Status != payments.StatusPartialRefund || p.RefundedAmount != 45000 || r.Status != payments.RefundSucceeded {
			t.Fatalf("partial refund: %+v %+v %v", p, r, err)
		}
		// With the caller's own key, asking again after success refunds nothing more.
		keyed := payments.RefundRequest{Amount: 10000, Reason: "ongkir", Key: "host-refund-77"}
		p, r, err = svc.Refund(ctx, "refund-gopay", keyed)
		if err != nil || p.RefundedAmount != 55000 || r.Key != "host-refund-77" {
			t.Fatalf("keyed refund: %+v %+v %v", p, r, err)
		}
		p, again, err := svc.Refund(ctx, "refund-gopay", keyed)
		if err != nil || again.ID != r.ID || p.RefundedAmount != 55000 {
			t.Fatalf("keyed refund asked again: %+v %+v %v", p, again, err)
		}
		if tx, _ := env.Sim.Transaction("refund-gopay"); tx.RefundedAmount != 55000 {
			t.Fatalf("simulator refunded %d, want 55000", tx.RefundedAmount)
		}
		// Too much, then the rest.
		if _, _, err := svc.Refund(ctx, "refund-gopay", payments.RefundRequest{Amount: 200000}); !errors.Is(err, payments.ErrValidation) {
			t.Fatalf("refund above the remainder: %v", err)
		}
		p, r, err = svc.Refund(ctx, "refund-gopay", payments.RefundRequest{})
		if err != nil || p.Status != payments.StatusRefund || p.RefundedAmount != 145000 || p.Outcome() != payments.OutcomeRefunded {
			t.Fatalf("refund the rest: %+v %+v %v", p, r, err)
		}
		if tx, _ := env.Sim.Transaction("refund-gopay"); tx.RefundedAmount != 145000 {
			t.Fatalf("simulator refunded %d in all, want 145000", tx.RefundedAmount)
		}
		refunds, _ := env.Store.Refunds(ctx, p.ID)
		if len(refunds) != 3 {
			t.Fatalf("%d refunds stored, want 3", len(refunds))
		}

		// ShopeePay refunds only in full.
		paid("refund-shopee", "shopeepay")
		if _, _, err := svc.Refund(ctx, "refund-shopee", payments.RefundRequest{Amount: 1000}); !errors.Is(err, payments.ErrValidation) {
			t.Fatalf("partial ShopeePay refund: %v", err)
		}
		if p, _, err := svc.Refund(ctx, "refund-shopee", payments.RefundRequest{}); err != nil || p.Status != payments.StatusRefund {
			t.Fatalf("full ShopeePay refund: %s %v", show(p), err)
		}

		// A refund whose answer is lost: unknown, then retried with the same key.
		paid("refund-lost", "qris")
		// Two: Go's http.Transport itself resends a keyed request once when
		// a reused connection breaks before any answer.
		env.Sim.DropNextResponses(2)
		p, r, err = svc.Refund(ctx, "refund-lost", payments.RefundRequest{Amount: 5000})
		if !errors.Is(err, payments.ErrOutcomeUnknown) || r.Status != payments.RefundUnknown || p.RefundedAmount != 0 {
			t.Fatalf("lost refund answer: %+v %+v %v", p, r, err)
		}
		p, again, err = svc.Refund(ctx, "refund-lost", payments.RefundRequest{Amount: 5000})
		if err != nil || again.ID != r.ID || again.Key != r.Key || p.RefundedAmount != 5000 {
			t.Fatalf("retried refund: %+v %+v %v", p, again, err)
		}
		if tx, _ := env.Sim.Transaction("refund-lost"); tx.RefundedAmount != 5000 {
			t.Fatalf("the retried refund refunded %d, want 5000 once", tx.RefundedAmount)
		}

		// Direct refund.
		paid("refund-direct", "akulaku")
		if p, r, err := svc.DirectRefund(ctx, "refund-direct", payments.RefundRequest{Amount: 45000}); err != nil || !r.Direct || p.RefundedAmount != 45000 {
			t.Fatalf("direct refund: %+v %+v %v", p, r, err)
		}
	})
}

func TestServiceRegistry(t *testing.T) {
	env := testenv.New(t, dbtestSQLite(t), testenv.Config{})
	if _, err := payments.New(env.Client, env.Store, payments.WithMethods(methods.Default()...), payments.WithMethods(methods.Default()[0])); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("duplicate method name: %v", err)
	}
	names := env.Service.Methods()
	want := []string{"akulaku", "alfamart", "bca_va", "bni_va", "bri_va", "cimb_va", "credit_card", "dana", "echannel", "gopay", "indomaret", "permata_va", "qris", "shopeepay", "snap"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("methods %v, want %v", names, want)
	}
	if _, err := payments.New(nil, env.Store); err == nil {
		t.Fatal("nil client accepted")
	}
}

// TestChargeOptionsReachMidtrans: per-charge options travel in the request
// and its headers: custom expiry, custom fields, metadata, and the
// override/append notification URLs.
func TestChargeOptionsReachMidtrans(t *testing.T) {
	env := testenv.New(t, dbtestSQLite(t), testenv.Config{})
	ctx := testenv.Ctx(t)
	req := chargeReq("opts-1", "bni_va", nil)
	req.Expiry = 90 * time.Minute
	req.CustomField1, req.CustomField2, req.CustomField3 = "cf-one", "cf-two", "cf-three"
	req.Metadata = []byte(`{"cart_id":"c-77"}`)
	req.OverrideNotificationURLs = []string{"https://hooks.example/a", "https://hooks.example/b"}
	req.AppendNotificationURLs = []string{"https://audit.example/c"}
	p, err := env.Service.CreateCharge(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var charge midtranstest.Call
	for _, c := range env.Sim.Calls() {
		if c.Path == "/v2/charge" {
			charge = c
		}
	}
	if got := charge.Header.Get("X-Override-Notification"); got != "https://hooks.example/a,https://hooks.example/b" {
		t.Fatalf("X-Override-Notification = %q", got)
	}
	if got := charge.Header.Get("X-Append-Notification"); got != "https://audit.example/c" {
		t.Fatalf("X-Append-Notification = %q", got)
	}
	for _, want := range []string{`"custom_expiry":{"expiry_duration":5400,"unit":"second"}`, `"custom_field1":"cf-one"`,
		`"custom_field3":"cf-three"`, `"metadata":{"cart_id":"c-77"}`} {
		if !strings.Contains(string(charge.Body), want) {
			t.Errorf("charge body lacks %s: %s", want, charge.Body)
		}
	}
	if d := p.ExpiresAt.Sub(p.CreatedAt); d < 89*time.Minute || d > 91*time.Minute {
		t.Fatalf("expiry %v after creation, want 90 minutes", d)
	}
	if p.CustomField2 != "cf-two" || string(p.Metadata) != `{"cart_id":"c-77"}` {
		t.Fatalf("stored custom fields/metadata: %q %s", p.CustomField2, p.Metadata)
	}
	st, err := env.Client.Status(ctx, p.TransactionID)
	if err != nil || st.CustomField1 != "cf-one" {
		t.Fatalf("Midtrans does not echo the custom fields: %+v %v", st.CustomField1, err)
	}
}
