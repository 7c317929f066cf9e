package midtrans_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
)

// savedCardToken charges a card with save_token_id on the simulator and
// returns the saved_token_id, as an application gets one.
func savedCardToken(t *testing.T, c *midtrans.Client, orderID, number string) string {
	t.Helper()
	req := charge(orderID, "credit_card")
	req.CreditCard = &midtrans.CreditCard{TokenID: midtranstest.CardToken(number), SaveTokenID: true}
	r, err := c.Charge(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if r.SavedTokenID == "" {
		t.Fatalf("no saved_token_id in %s", r.Raw)
	}
	return r.SavedTokenID
}

func TestSubscriptionLifecycle(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, nil)
	ctx := ctxT(t)
	token := savedCardToken(t, c, "sub-first", "4811111111111114")

	start := time.Now().Add(time.Hour).Truncate(time.Second)
	req := &midtrans.SubscriptionRequest{Name: "MONTHLY_2026", Amount: 14000, Currency: "IDR",
		PaymentType: midtrans.SubscriptionPaymentCard, Token: token,
		Schedule: midtrans.SubscriptionSchedule{Interval: 1, IntervalUnit: midtrans.IntervalMonth, MaxInterval: 12,
			StartTime: midtrans.FormatZoneTime(start)},
		Metadata:        json.RawMessage(`{"plan":"gold"}`),
		CustomerDetails: &midtrans.CustomerDetails{FirstName: "Budi", Email: "budi@example.com"}}
	created, err := c.CreateSubscription(ctx, req, midtrans.WithIdempotencyKey("sub-key-1"))
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.Status != midtrans.SubscriptionActive || created.Token != token ||
		created.Amount != "14000" || created.Schedule.Interval != 1 || created.Schedule.IntervalUnit != "month" ||
		created.Schedule.MaxInterval != 12 || created.CustomerDetails == nil || created.CustomerDetails.FirstName != "Budi" {
		t.Fatalf("created = %+v", created)
	}
	next, err := midtrans.ParseSubscriptionTime(created.Schedule.NextExecutionAt)
	if err != nil || !next.Equal(start) {
		t.Fatalf("next_execution_at %q = %v (%v), want %v", created.Schedule.NextExecutionAt, next, err, start)
	}
	// The idempotency key answers the same subscription again.
	again, err := c.CreateSubscription(ctx, req, midtrans.WithIdempotencyKey("sub-key-1"))
	if err != nil || again.ID != created.ID {
		t.Fatalf("replay = %+v, %v; want id %s", again, err, created.ID)
	}

	got, err := c.GetSubscription(ctx, created.ID)
	if err != nil || got.ID != created.ID || string(got.Metadata) != `{"plan":"gold"}` {
		t.Fatalf("get = %+v, %v", got, err)
	}

	upd, err := c.UpdateSubscription(ctx, created.ID, &midtrans.SubscriptionUpdate{Amount: 15000,
		Schedule: &midtrans.SubscriptionSchedule{Interval: 2}})
	if err != nil || upd.StatusMessage != "Subscription is updated." {
		t.Fatalf("update = %+v, %v", upd, err)
	}
	got, err = c.GetSubscription(ctx, created.ID)
	if err != nil || got.Amount != "15000" || got.Schedule.Interval != 2 || got.Schedule.IntervalUnit != "month" {
		t.Fatalf("after update = %+v, %v", got, err)
	}

	// A recurring charge is a transaction Midtrans names and lists.
	tr, err := sim.ChargeSubscription(created.ID, midtranstest.RecurringByToken)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tr.OrderID, "SUBS-MONTHLY_2026-") || tr.GrossAmount != 15000 || tr.Status != "capture" {
		t.Fatalf("recurring charge = %+v", tr)
	}
	st, err := c.Status(ctx, tr.TransactionID)
	if err != nil || st.OrderID != tr.OrderID || st.TransactionStatus != "capture" {
		t.Fatalf("status of the recurring charge = %+v, %v", st, err)
	}
	got, err = c.GetSubscription(ctx, created.ID)
	if err != nil || len(got.TransactionIDs) != 1 || got.TransactionIDs[0] != tr.TransactionID || got.Schedule.CurrentInterval != 1 {
		t.Fatalf("after a charge = %+v, %v", got, err)
	}

	if _, err := c.DisableSubscription(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if got, err = c.GetSubscription(ctx, created.ID); err != nil || got.Status != midtrans.SubscriptionInactive {
		t.Fatalf("after disable = %+v, %v", got, err)
	}
	if _, err := sim.ChargeSubscription(created.ID, midtranstest.RecurringByToken); !errors.Is(err, midtranstest.ErrInvalidState) {
		t.Fatalf("charging a disabled subscription: %v", err)
	}
	if _, err := c.EnableSubscription(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if got, err = c.GetSubscription(ctx, created.ID); err != nil || got.Status != midtrans.SubscriptionActive {
		t.Fatalf("after enable = %+v, %v", got, err)
	}
	if _, err := c.CancelSubscription(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.EnableSubscription(ctx, created.ID)
	var apiErr *midtrans.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, midtrans.ErrValidation) || len(apiErr.ValidationMessages) == 0 {
		t.Fatalf("enabling a cancelled subscription: %v", err)
	}
}

func TestSubscriptionErrors(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, nil)
	ctx := ctxT(t)

	_, err := c.GetSubscription(ctx, "no-such-subscription")
	var apiErr *midtrans.APIError
	if !errors.Is(err, midtrans.ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Message != "Subscription doesn't exist." ||
		apiErr.HTTPStatus != http.StatusNotFound || apiErr.Op != "get_subscription" {
		t.Fatalf("unknown subscription: %v", err)
	}
	if _, err := c.DisableSubscription(ctx, "no-such-subscription"); !errors.Is(err, midtrans.ErrNotFound) {
		t.Fatalf("disable unknown: %v", err)
	}

	// Midtrans' validation_message (singular) becomes ValidationMessages.
	_, err = c.CreateSubscription(ctx, &midtrans.SubscriptionRequest{Name: "bad name!", Amount: 1000, Currency: "IDR",
		PaymentType: midtrans.SubscriptionPaymentCard, Token: "not-a-saved-token",
		Schedule: midtrans.SubscriptionSchedule{Interval: 1, IntervalUnit: "year"}})
	if !errors.Is(err, midtrans.ErrValidation) || !errors.As(err, &apiErr) {
		t.Fatalf("invalid create: %v", err)
	}
	joined := strings.Join(apiErr.ValidationMessages, "|")
	for _, want := range []string{"name", "token", "interval_unit"} {
		if !strings.Contains(joined, want) {
			t.Errorf("validation messages %q do not mention %s", joined, want)
		}
	}
	if !strings.Contains(err.Error(), "token is invalid") {
		t.Errorf("error text %q lacks the validation messages", err)
	}
	if strings.Contains(err.Error(), "not-a-saved-token") {
		t.Errorf("error text %q shows the token", err)
	}

	// Refused before sending.
	for name, call := range map[string]func() error{
		"nil": func() error { _, err := c.CreateSubscription(ctx, nil); return err },
		"no token": func() error {
			_, err := c.CreateSubscription(ctx, &midtrans.SubscriptionRequest{Name: "a", Amount: 1, PaymentType: "gopay"})
			return err
		},
		"empty id": func() error { _, err := c.EnableSubscription(ctx, ""); return err },
		"dot id":   func() error { _, err := c.GetSubscription(ctx, ".."); return err },
	} {
		if err := call(); !errors.Is(err, midtrans.ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}

	// GET is retried through a transient failure.
	token := savedCardToken(t, c, "sub-retry", "4811111111111114")
	created, err := c.CreateSubscription(ctx, &midtrans.SubscriptionRequest{Name: "weekly", Amount: 5000, Currency: "IDR",
		PaymentType: midtrans.SubscriptionPaymentCard, Token: token,
		Schedule: midtrans.SubscriptionSchedule{Interval: 1, IntervalUnit: midtrans.IntervalWeek}})
	if err != nil {
		t.Fatal(err)
	}
	sim.FailNext(1, http.StatusServiceUnavailable)
	if got, err := c.GetSubscription(ctx, created.ID); err != nil || got.ID != created.ID {
		t.Fatalf("get after a 503: %+v, %v", got, err)
	}
	// A create without a key that loses its answer is an unknown outcome.
	sim.DropNextResponses(1)
	_, err = c.CreateSubscription(ctx, &midtrans.SubscriptionRequest{Name: "weekly", Amount: 5000, Currency: "IDR",
		PaymentType: midtrans.SubscriptionPaymentCard, Token: token,
		Schedule: midtrans.SubscriptionSchedule{Interval: 1, IntervalUnit: midtrans.IntervalWeek}})
	if !errors.Is(err, midtrans.ErrOutcomeUnknown) {
		t.Fatalf("dropped create: %v", err)
	}
}

func TestMaskSubscriptionToken(t *testing.T) {
	masked := string(midtrans.MaskPayload(json.RawMessage(`{"id":"s1","token":"48111111abcdefgh1114","schedule":{"interval":1}}`)))
	if strings.Contains(masked, "abcdefgh") || !strings.Contains(masked, `"id":"s1"`) {
		t.Fatalf("masked = %s", masked)
	}
}

func TestSubscriptionScheduleOnTheClock(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	sim := midtranstest.NewServer(midtranstest.Config{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	t.Cleanup(sim.Close)
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	c := simClient(t, sim, nil)
	ctx := ctxT(t)
	token := savedCardToken(t, c, "clock-first", "4811111111111114")
	created, err := c.CreateSubscription(ctx, &midtrans.SubscriptionRequest{Name: "daily", Amount: 1000, Currency: "IDR",
		PaymentType: midtrans.SubscriptionPaymentCard, Token: token,
		Schedule: midtrans.SubscriptionSchedule{Interval: 1, IntervalUnit: midtrans.IntervalDay, MaxInterval: 2}})
	if err != nil {
		t.Fatal(err)
	}
	// Without start_time the first charge is one interval later.
	if got := sim.ChargeDueSubscriptions(); len(got) != 0 {
		t.Fatalf("charged before due: %v", got)
	}
	advance(24 * time.Hour)
	if got := sim.ChargeDueSubscriptions(); len(got) != 1 || got[0].Status != "capture" {
		t.Fatalf("first due charge: %+v", got)
	}
	advance(24 * time.Hour)
	if got := sim.ChargeDueSubscriptions(); len(got) != 1 {
		t.Fatalf("second due charge: %+v", got)
	}
	// max_interval reached: the subscription ends.
	s, _ := c.GetSubscription(ctx, created.ID)
	if s.Status != midtrans.SubscriptionInactive || s.Schedule.CurrentInterval != 2 || len(s.TransactionIDs) != 2 {
		t.Fatalf("after max_interval: %+v", s)
	}
	advance(24 * time.Hour)
	if got := sim.ChargeDueSubscriptions(); len(got) != 0 {
		t.Fatalf("charged after its end: %v", got)
	}
}
