package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

// list runs ListPayments or fails the test.
func list(t *testing.T, s payments.Store, q payments.PaymentQuery) *payments.PaymentPage {
	t.Helper()
	page, err := s.ListPayments(ctxT(t), q)
	if err != nil {
		t.Fatalf("ListPayments(%+v): %v", q, err)
	}
	return page
}

// orderIDs lists a page's order ids.
func orderIDs(page *payments.PaymentPage) []string {
	out := make([]string, len(page.Payments))
	for i, p := range page.Payments {
		out[i] = p.OrderID
	}
	return out
}

// createSpaced creates a payment for each order id, oldest first, a few
// milliseconds apart so their creation times differ.
func createSpaced(t *testing.T, s payments.Store, ids ...string) []*payments.Payment {
	t.Helper()
	out := make([]*payments.Payment, len(ids))
	for i, id := range ids {
		if i > 0 {
			time.Sleep(3 * time.Millisecond)
		}
		out[i] = mustCreate(t, s, id)
	}
	return out
}

func wantOrders(t *testing.T, what string, page *payments.PaymentPage, want ...string) {
	t.Helper()
	if got := orderIDs(page); !slices.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func testListPaymentsFilters(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	ps := createSpaced(t, s, "shop-a_1", "shop-a_2", "shop-ab-3", "Shop-a_4", "other-5", "shop-a_6")
	// Outcomes: settlement → paid, capture+accept → paid, capture+challenge
	// → in review, deny → failed, pending, initiated (pending).
	mustApply(t, s, change("shop-a_1", payments.StatusSettlement))
	for id, fraud := range map[string]payments.FraudStatus{"shop-a_2": payments.FraudAccept, "shop-ab-3": payments.FraudChallenge} {
		c := change(id, payments.StatusCapture)
		c.To.Fraud = fraud
		mustApply(t, s, c)
	}
	mustApply(t, s, change("Shop-a_4", payments.StatusDeny))
	mustApply(t, s, change("other-5", payments.StatusPending))
	other := newPayment("shop-a_7")
	other.Method = "gopay"
	other.Customer.Email = "Siti.Rahma@Example.COM"
	time.Sleep(3 * time.Millisecond)
	if err := s.CreatePayment(ctx, other); err != nil {
		t.Fatal(err)
	}
	noCustomer := newPayment("shop-a_8")
	noCustomer.Customer = nil
	if err := s.CreatePayment(ctx, noCustomer); err != nil {
		t.Fatal(err)
	}

	wantOrders(t, "all", list(t, s, payments.PaymentQuery{}),
		"shop-a_8", "shop-a_7", "shop-a_6", "other-5", "Shop-a_4", "shop-ab-3", "shop-a_2", "shop-a_1")
	wantOrders(t, "statuses", list(t, s, payments.PaymentQuery{Statuses: []payments.Status{payments.StatusCapture, payments.StatusDeny}}),
		"Shop-a_4", "shop-ab-3", "shop-a_2")
	wantOrders(t, "outcome paid", list(t, s, payments.PaymentQuery{Outcomes: []payments.Outcome{payments.OutcomePaid}}),
		"shop-a_2", "shop-a_1")
	wantOrders(t, "outcomes in review, failed", list(t, s, payments.PaymentQuery{Outcomes: []payments.Outcome{payments.OutcomeInReview, payments.OutcomeFailed}}),
		"Shop-a_4", "shop-ab-3")
	wantOrders(t, "outcome pending", list(t, s, payments.PaymentQuery{Outcomes: []payments.Outcome{payments.OutcomePending}}),
		"shop-a_8", "shop-a_7", "shop-a_6", "other-5")
	wantOrders(t, "outcome refunded", list(t, s, payments.PaymentQuery{Outcomes: []payments.Outcome{payments.OutcomeRefunded}}))
	wantOrders(t, "status and outcome", list(t, s, payments.PaymentQuery{
		Statuses: []payments.Status{payments.StatusCapture}, Outcomes: []payments.Outcome{payments.OutcomePaid}}), "shop-a_2")
	wantOrders(t, "methods", list(t, s, payments.PaymentQuery{Methods: []string{"gopay", "qris"}}), "shop-a_7")
	// The prefix is case-sensitive and "_" is no wildcard.
	wantOrders(t, "prefix", list(t, s, payments.PaymentQuery{OrderIDPrefix: "shop-a_"}), "shop-a_8", "shop-a_7", "shop-a_6", "shop-a_2", "shop-a_1")
	wantOrders(t, "prefix Shop", list(t, s, payments.PaymentQuery{OrderIDPrefix: "Shop"}), "Shop-a_4")
	wantOrders(t, "whole id as prefix", list(t, s, payments.PaymentQuery{OrderIDPrefix: "shop-ab-3"}), "shop-ab-3")
	wantOrders(t, "prefix ~", list(t, s, payments.PaymentQuery{OrderIDPrefix: "shop~"}))
	wantOrders(t, "email, any case", list(t, s, payments.PaymentQuery{CustomerEmail: "siti.rahma@example.com"}), "shop-a_7")
	wantOrders(t, "email upper", list(t, s, payments.PaymentQuery{CustomerEmail: "BUDI@EXAMPLE.COM", OrderIDPrefix: "shop-a"}),
		"shop-a_6", "shop-ab-3", "shop-a_2", "shop-a_1")
	wantOrders(t, "email unknown", list(t, s, payments.PaymentQuery{CustomerEmail: "nobody@example.com"}))

	// Creation range: from ps[1] (inclusive) to ps[4] (exclusive).
	wantOrders(t, "created range", list(t, s, payments.PaymentQuery{CreatedFrom: ps[1].CreatedAt, CreatedTo: ps[4].CreatedAt}),
		"Shop-a_4", "shop-ab-3", "shop-a_2")
	wantOrders(t, "status and created range", list(t, s, payments.PaymentQuery{
		Statuses: []payments.Status{payments.StatusInitiated}, CreatedFrom: ps[5].CreatedAt}), "shop-a_8", "shop-a_7", "shop-a_6")
	// Update range: only the payment changed after the mark.
	mark := time.Now()
	time.Sleep(3 * time.Millisecond)
	mustApply(t, s, change("shop-a_6", payments.StatusPending))
	wantOrders(t, "updated since", list(t, s, payments.PaymentQuery{UpdatedFrom: mark}), "shop-a_6")
	wantOrders(t, "updated before", list(t, s, payments.PaymentQuery{UpdatedTo: mark, OrderIDPrefix: "shop-a_"}), "shop-a_8", "shop-a_7", "shop-a_2", "shop-a_1")

	// The payments come back whole.
	page := list(t, s, payments.PaymentQuery{OrderIDPrefix: "shop-a_7"})
	if len(page.Payments) != 1 || page.Next != "" {
		t.Fatalf("one payment: %+v", page)
	}
	got, want := page.Payments[0], mustGet(t, s, "shop-a_7")
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) || got.Customer == nil || got.Customer.Email != "Siti.Rahma@Example.COM" {
		t.Errorf("listed %+v\nstored %+v", got, want)
	}
}

func testListPaymentsValidation(t *testing.T, s payments.Store) {
	mustCreate(t, s, "order-valid-1")
	for field, q := range map[string]payments.PaymentQuery{
		"limit":           {Limit: -1},
		"after":           {After: "not-a-cursor"},
		"statuses":        {Statuses: []payments.Status{"paid"}},
		"outcomes":        {Outcomes: []payments.Outcome{"settlement"}},
		"methods":         {Methods: []string{""}},
		"order_id_prefix": {OrderIDPrefix: "a%"},
		"created_to":      {CreatedFrom: time.Now(), CreatedTo: time.Now().Add(-time.Hour)},
		"updated_to":      {UpdatedFrom: time.Now(), UpdatedTo: time.Now().Add(-time.Hour)},
	} {
		page, err := s.ListPayments(ctxT(t), q)
		var ve *payments.ValidationError
		if !errors.As(err, &ve) || !ve.Has(field) {
			t.Errorf("%s: ListPayments(%+v) = %v, %v; want a ValidationError naming %s", field, q, page, err, field)
		}
	}
	if _, err := s.ListPayments(ctxT(t), payments.PaymentQuery{Limit: payments.MaxPageSize + 1}); !errors.Is(err, payments.ErrValidation) {
		t.Errorf("limit above the maximum: %v", err)
	}
	if page, err := s.ListPayments(ctxT(t), payments.PaymentQuery{Limit: payments.MaxPageSize}); err != nil || len(page.Payments) != 1 {
		t.Errorf("the maximum limit: %v %v", page, err)
	}
}

func testListPaymentsPagination(t *testing.T, s payments.Store) {
	const n = 23
	var want []string
	for i := range n {
		want = append([]string{fmt.Sprintf("order-page-%02d", i)}, want...)
		mustCreate(t, s, want[0])
	}
	// Pages of 5 while other payments are created concurrently: every
	// payment there before the first page appears exactly once, in order,
	// and nothing repeats.
	//
	// The creator is stopped between two calls, not by cancelling one: a
	// driver that returns as soon as its context ends (pgx) may leave
	// that call's insert to commit after it returned, which would then
	// land between the reads below that expect no more inserts.
	ctx := ctxT(t)
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			p := newPayment(fmt.Sprintf("order-late-%03d", i))
			if err := s.CreatePayment(ctx, p); err != nil {
				t.Errorf("concurrent CreatePayment: %v", err)
				return
			}
		}
	}()
	t.Cleanup(func() { stop.Store(true); wg.Wait() }) // when a check below fails first
	var got []string
	seen := map[string]bool{}
	q := payments.PaymentQuery{Limit: 5, OrderIDPrefix: "order-"}
	pages := 0
	for {
		page := list(t, s, q)
		pages++
		if len(page.Payments) > 5 {
			t.Fatalf("page of %d", len(page.Payments))
		}
		for i, p := range page.Payments {
			if seen[p.ID] {
				t.Fatalf("page %d repeats %s", pages, p.OrderID)
			}
			seen[p.ID] = true
			if p.OrderID[:len("order-page")] == "order-page" {
				got = append(got, p.OrderID)
			}
			if i > 0 {
				prev := page.Payments[i-1]
				if p.CreatedAt.After(prev.CreatedAt) || (p.CreatedAt.Equal(prev.CreatedAt) && p.ID > prev.ID) {
					t.Fatalf("not newest first: %s after %s", p.OrderID, prev.OrderID)
				}
			}
		}
		if page.Next == "" {
			break
		}
		if len(page.Payments) != 5 {
			t.Fatalf("a page of %d with a next page", len(page.Payments))
		}
		q.After = page.Next
		if pages > 100 {
			t.Fatal("no end of pages")
		}
	}
	stop.Store(true)
	wg.Wait()
	if !slices.Equal(got, want) {
		t.Fatalf("paged %v\nwant %v", got, want)
	}
	// Without concurrent inserts the pages partition the list exactly.
	all := list(t, s, payments.PaymentQuery{Limit: payments.MaxPageSize})
	var paged []string
	q = payments.PaymentQuery{Limit: 4}
	for {
		page := list(t, s, q)
		paged = append(paged, orderIDs(page)...)
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	if !slices.Equal(paged, orderIDs(all)) {
		t.Fatalf("pages of 4: %v\none page: %v", paged, orderIDs(all))
	}
	// A full last page has a Next that leads to an empty page.
	exact := list(t, s, payments.PaymentQuery{Limit: len(all.Payments)})
	if exact.Next != "" {
		t.Fatalf("a page holding everything has Next %q", exact.Next)
	}
	if len(all.Payments) > 1 {
		first := list(t, s, payments.PaymentQuery{Limit: len(all.Payments) - 1})
		last := list(t, s, payments.PaymentQuery{Limit: len(all.Payments) - 1, After: first.Next})
		if len(last.Payments) != 1 || last.Next != "" {
			t.Fatalf("last page %v next %q", orderIDs(last), last.Next)
		}
	}
}

func testListPaymentsAccounts(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	a, b := s.ForAccount("acct-a"), s.ForAccount("acct-b")
	mustCreate(t, a, "order-acct-1")
	mustCreate(t, b, "order-acct-1")
	mustCreate(t, b, "order-acct-2")
	for name, st := range map[string]payments.Store{"acct-a": a, "acct-b": b} {
		page := list(t, st, payments.PaymentQuery{CustomerEmail: "budi@example.com", OrderIDPrefix: "order-acct"})
		for _, p := range page.Payments {
			if p.Account != name {
				t.Errorf("%s lists a payment of %s", name, p.Account)
			}
		}
		if want := map[string]int{"acct-a": 1, "acct-b": 2}[name]; len(page.Payments) != want {
			t.Errorf("%s lists %v", name, orderIDs(page))
		}
	}
	if page := list(t, s, payments.PaymentQuery{}); len(page.Payments) != 0 {
		t.Errorf("the default account lists %v", orderIDs(page))
	}
	// A cursor of another account's list selects nothing of it.
	pb := list(t, b, payments.PaymentQuery{Limit: 1})
	if page := list(t, a, payments.PaymentQuery{After: pb.Next}); len(page.Payments) > 1 {
		t.Errorf("acct-a after acct-b's cursor: %v", orderIDs(page))
	}
	tl, err := b.Timeline(ctx, "order-acct-2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Timeline(ctx, "order-acct-2"); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("acct-a's timeline of acct-b's order = %v", err)
	}
	if err := a.RequeueEvent(ctx, tl.Events[0].ID); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("acct-a requeues acct-b's event: %v", err)
	}
	n := &payments.Notification{DedupKey: "acct-n", OrderID: "order-acct-2", Body: json.RawMessage(`{}`)}
	if _, err := b.InsertNotification(ctx, n); err != nil {
		t.Fatal(err)
	}
	if _, err := a.NotificationByID(ctx, n.ID); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("acct-a reads acct-b's notification: %v", err)
	}
	if tl, err := a.Timeline(ctx, "order-acct-1"); err != nil || len(tl.Notifications) != 0 {
		t.Errorf("acct-a's timeline has acct-b's notifications: %+v %v", tl, err)
	}
}

func testTimeline(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	if _, err := s.Timeline(ctx, "order-none"); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("Timeline of an unknown order = %v", err)
	}
	p := mustCreate(t, s, "order-tl")
	mustCreate(t, s, "order-tl-other")
	var notes []*payments.Notification
	for i, status := range []payments.Status{payments.StatusPending, payments.StatusSettlement} {
		n := &payments.Notification{DedupKey: fmt.Sprintf("order-tl|%d", i), OrderID: "order-tl", Status: string(status),
			SignatureValid: true, Body: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
		if _, err := s.InsertNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
		mustApply(t, s, change("order-tl", status))
		if err := s.FinishNotification(ctx, n.ID, payments.NotificationProcessed, "applied"); err != nil {
			t.Fatal(err)
		}
		notes = append(notes, n)
		time.Sleep(2 * time.Millisecond)
	}
	if _, err := s.InsertNotification(ctx, &payments.Notification{DedupKey: "other", OrderID: "order-tl-other", Body: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	r, _, err := s.CreateRefund(ctx, &payments.Refund{PaymentID: p.ID, OrderID: p.OrderID, Key: "order-tl-r1", Amount: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// Deliver the created event, bury the pending one.
	evs, _ := s.ClaimEvents(ctx, "w", 10, time.Minute)
	for _, e := range evs {
		if e.OrderID == "order-tl" {
			if err := s.MarkDelivered(ctx, e.Seq, "w"); err != nil {
				t.Fatal(err)
			}
		}
	}
	evs, _ = s.ClaimEvents(ctx, "w", 10, time.Minute)
	for _, e := range evs {
		if e.OrderID == "order-tl" {
			if err := s.MarkDead(ctx, e.Seq, "w", "receiver down"); err != nil {
				t.Fatal(err)
			}
		}
	}

	tl, err := s.Timeline(ctx, "order-tl")
	if err != nil {
		t.Fatal(err)
	}
	if tl.Payment.ID != p.ID || tl.Payment.Status != payments.StatusSettlement {
		t.Errorf("timeline payment %+v", tl.Payment)
	}
	if h := history(t, s, p); fmt.Sprint(h) != fmt.Sprint(tl.Audit) || len(h) != 3 {
		t.Errorf("timeline audit %+v\nhistory %+v", tl.Audit, h)
	}
	if len(tl.Notifications) != 2 || tl.Notifications[0].ID != notes[0].ID || tl.Notifications[1].ID != notes[1].ID ||
		tl.Notifications[1].State != payments.NotificationProcessed || string(tl.Notifications[1].Body) != `{"n":1}` {
		t.Errorf("timeline notifications %+v", tl.Notifications)
	}
	if len(tl.Refunds) != 1 || tl.Refunds[0].ID != r.ID {
		t.Errorf("timeline refunds %+v", tl.Refunds)
	}
	wantSignals := []payments.Signal{payments.SignalCreated, payments.SignalPending, payments.SignalStatusChanged}
	if len(tl.Events) < 3 || !equalSignals(signals(tl.Events[:3]), wantSignals) {
		t.Fatalf("timeline events %v, want %v first", signals(tl.Events), wantSignals)
	}
	for i, e := range tl.Events {
		if e.OrderID != "order-tl" || (i > 0 && e.Seq <= tl.Events[i-1].Seq) {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	if created := tl.Events[0]; created.DeliveredAt.IsZero() || created.Dead || created.Attempts != 1 {
		t.Errorf("delivered event %+v", created)
	}
	if dead := tl.Events[1]; !dead.Dead || dead.LastError != "receiver down" || dead.Attempts != 1 {
		t.Errorf("dead event %+v", dead)
	}
	if later := tl.Events[len(tl.Events)-1]; later.Dead || !later.DeliveredAt.IsZero() {
		t.Errorf("pending event %+v", later)
	}
}

func testRequeueEvent(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	mustCreate(t, s, "order-requeue")
	evs, _ := s.ClaimEvents(ctx, "w", 10, time.Minute)
	if len(evs) != 1 {
		t.Fatalf("claim %v", signals(evs))
	}
	head := evs[0]
	if err := s.RequeueEvent(ctx, head.ID); !errors.Is(err, payments.ErrNotAllowed) {
		t.Fatalf("requeue of a leased, live event = %v", err)
	}
	if err := s.MarkDead(ctx, head.Seq, "w", "gave up"); err != nil {
		t.Fatal(err)
	}
	if err := s.RequeueEvent(ctx, "no-such-event"); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("requeue of an unknown event = %v", err)
	}
	before := time.Now().Add(-time.Second)
	if err := s.RequeueEvent(ctx, head.ID); err != nil {
		t.Fatal(err)
	}
	ev, err := s.Event(ctx, head.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Dead || ev.Attempts != 0 || ev.LeaseOwner != "" || ev.NextAttemptAt.Before(before) || ev.NextAttemptAt.After(time.Now().Add(time.Second)) || ev.LastError != "gave up" {
		t.Fatalf("requeued event %+v", ev)
	}
	again, _ := s.ClaimEvents(ctx, "w2", 10, time.Minute)
	if len(again) != 1 || again[0].ID != head.ID || again[0].Attempts != 1 {
		t.Fatalf("claim after requeue: %+v", again)
	}
	if err := s.MarkDelivered(ctx, again[0].Seq, "w2"); err != nil {
		t.Fatal(err)
	}
	if err := s.RequeueEvent(ctx, head.ID); !errors.Is(err, payments.ErrNotAllowed) {
		t.Fatalf("requeue of a delivered event = %v", err)
	}
}

func testNotificationByID(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	n := &payments.Notification{DedupKey: "byid", OrderID: "order-byid", Status: "settlement", SignatureValid: true, Body: json.RawMessage(`{"a": 1}`)}
	if _, err := s.InsertNotification(ctx, n); err != nil {
		t.Fatal(err)
	}
	got, err := s.NotificationByID(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != n.ID || got.DedupKey != "byid" || string(got.Body) != `{"a": 1}` || got.State != payments.NotificationReceived {
		t.Fatalf("NotificationByID = %+v", got)
	}
	if _, err := s.NotificationByID(ctx, "none"); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("unknown id = %v", err)
	}
}

// testStaffActions: the action log records an action as started, finishes
// it once, scopes it by account, and a timeline lists an order's actions
// oldest first; an audit row keeps its change's actor.
func testStaffActions(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	a, b := s.ForAccount("staff-a"), s.ForAccount("staff-b")
	mustCreate(t, a, "order-staff")
	first := &payments.StaffAction{OrderID: "order-staff", Actor: "ana", Action: "sync"}
	if err := a.StartAction(ctx, first); err != nil {
		t.Fatal(err)
	}
	if first.ID == 0 || first.Result != payments.ActionStarted || first.Account != "staff-a" || first.CreatedAt.IsZero() {
		t.Fatalf("started action = %+v", first)
	}
	second := &payments.StaffAction{OrderID: "order-staff", Actor: "budi", Action: "refund", Detail: json.RawMessage(`{"amount":500}`)}
	if err := a.StartAction(ctx, second); err != nil {
		t.Fatal(err)
	}
	// Another account's view cannot finish or see it.
	if err := b.FinishAction(ctx, first.ID, payments.ActionSucceeded, "", time.Now()); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("finish from another account = %v", err)
	}
	at := time.Now().UTC().Truncate(time.Millisecond)
	if err := a.FinishAction(ctx, first.ID, payments.ActionFailed, "refused", at); err != nil {
		t.Fatal(err)
	}
	// Finishing again changes nothing.
	if err := a.FinishAction(ctx, first.ID, payments.ActionSucceeded, "", at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := a.FinishAction(ctx, 1<<40, payments.ActionSucceeded, "", at); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("finish of an unknown action = %v", err)
	}
	c := change("order-staff", payments.StatusPending)
	c.Actor = "ana"
	if _, err := a.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	tl, err := a.Timeline(ctx, "order-staff")
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Actions) != 2 {
		t.Fatalf("%d actions", len(tl.Actions))
	}
	got, pending := tl.Actions[0], tl.Actions[1]
	if got.ID != first.ID || got.Actor != "ana" || got.Action != "sync" || got.Result != payments.ActionFailed ||
		got.Message != "refused" || !got.FinishedAt.Equal(at) {
		t.Errorf("finished action = %+v", got)
	}
	if pending.Actor != "budi" || pending.Result != payments.ActionStarted || !pending.FinishedAt.IsZero() ||
		string(pending.Detail) != `{"amount":500}` {
		t.Errorf("started action = %+v (detail %s)", pending, pending.Detail)
	}
	last := tl.Audit[len(tl.Audit)-1]
	if last.Actor != "ana" || tl.Audit[0].Actor != "" {
		t.Errorf("audit actors %q, %q", tl.Audit[0].Actor, last.Actor)
	}
	mustCreate(t, b, "order-staff")
	other, err := b.Timeline(ctx, "order-staff")
	if err != nil {
		t.Fatal(err)
	}
	if len(other.Actions) != 0 {
		t.Errorf("another account's timeline has %d actions", len(other.Actions))
	}
}
