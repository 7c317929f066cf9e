package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

func testRefunds(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	p := mustCreate(t, s, "order-refund")
	other := mustCreate(t, s, "order-refund-other")
	r := &payments.Refund{PaymentID: p.ID, OrderID: p.OrderID, Key: "order-refund-r1", Amount: 5000, Reason: "damaged"}
	stored, created, err := s.CreateRefund(ctx, r)
	if err != nil || !created {
		t.Fatalf("CreateRefund = %v created=%v", err, created)
	}
	if stored.ID == "" || stored.Status != payments.RefundRequested || stored.Amount != 5000 || stored.Reason != "damaged" {
		t.Fatalf("stored refund %+v", stored)
	}
	// A retry with the same key returns the stored refund, even with another amount.
	again, created, err := s.CreateRefund(ctx, &payments.Refund{PaymentID: p.ID, OrderID: p.OrderID, Key: "order-refund-r1", Amount: 9999})
	if err != nil || created || again.ID != stored.ID || again.Amount != 5000 {
		t.Fatalf("retried CreateRefund = %+v created=%v err=%v", again, created, err)
	}
	// Keys are unique per payment: another payment may use the same one.
	if o, created, err := s.CreateRefund(ctx, &payments.Refund{PaymentID: other.ID, OrderID: other.OrderID, Key: "order-refund-r1", Amount: 1}); err != nil || !created || o.PaymentID != other.ID {
		t.Fatalf("refund key of another payment: %+v %v %v", o, created, err)
	}
	stored.Status = payments.RefundSucceeded
	stored.StatusCode = "200"
	stored.Message = "Success, refund request is approved"
	stored.Response = json.RawMessage(`{"status_code":"200","refund_chargeback_id":1}`)
	if _, _, err := s.AnswerRefund(ctx, stored, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateRefund(ctx, &payments.Refund{PaymentID: p.ID, OrderID: p.OrderID, Key: "order-refund-r2", Amount: 7000}); err != nil {
		t.Fatal(err)
	}
	list, err := s.Refunds(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Key != "order-refund-r1" || list[0].Status != payments.RefundSucceeded ||
		list[0].StatusCode != "200" || string(list[0].Response) != string(stored.Response) || list[1].Key != "order-refund-r2" {
		t.Fatalf("Refunds = %+v", list)
	}
	if _, _, err := s.AnswerRefund(ctx, &payments.Refund{ID: "missing", Key: "x", Status: payments.RefundFailed}, nil); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("AnswerRefund(missing) = %v", err)
	}
	for field, bad := range map[string]*payments.Refund{
		"refund_key": {PaymentID: p.ID, Key: "bad key!", Amount: 1},
		"amount":     {PaymentID: p.ID, Key: "k-amount", Amount: 0},
		"payment_id": {Key: "k-payment", Amount: 1},
	} {
		_, _, err := s.CreateRefund(ctx, bad)
		var ve *payments.ValidationError
		if !errors.As(err, &ve) || !ve.Has(field) {
			t.Errorf("%s: CreateRefund = %v, want a ValidationError naming it", field, err)
		}
	}
	if list, _ := s.Refunds(ctx, p.ID); len(list) != 2 {
		t.Fatalf("invalid refunds were stored: %+v", list)
	}
}

func testConcurrentRefundKey(t *testing.T, s payments.Store) {
	p := mustCreate(t, s, "order-refund-race")
	const n = 16
	var created atomic.Int32
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, c, err := s.CreateRefund(ctxT(t), &payments.Refund{PaymentID: p.ID, OrderID: p.OrderID, Key: "race-key", Amount: 1000})
			if err != nil {
				t.Error(err)
				return
			}
			if c {
				created.Add(1)
			}
			ids[i] = r.ID
		}()
	}
	wg.Wait()
	if created.Load() != 1 {
		t.Fatalf("%d creators, want 1", created.Load())
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("callers got different refunds: %v", ids)
		}
	}
}

func testInbox(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	n := &payments.Notification{DedupKey: "order-1|tx-1|settlement|200|150000.00", OrderID: "order-1", TransactionID: "tx-1",
		Status: "settlement", SignatureValid: true, Body: json.RawMessage(`{"order_id":"order-1",  "gross_amount":"150000.00"}`)}
	inserted, err := s.InsertNotification(ctx, n)
	if err != nil || !inserted || n.ID == "" {
		t.Fatalf("InsertNotification = %v inserted=%v id=%q", err, inserted, n.ID)
	}
	dup := &payments.Notification{DedupKey: n.DedupKey, Body: json.RawMessage(`{}`)}
	if inserted, err := s.InsertNotification(ctx, dup); err != nil || inserted {
		t.Fatalf("duplicate InsertNotification = %v inserted=%v", err, inserted)
	}
	if err := s.FinishNotification(ctx, n.ID, payments.NotificationProcessed, "applied"); err != nil {
		t.Fatal(err)
	}
	got, err := s.NotificationByDedupKey(ctx, n.DedupKey)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != n.ID || got.State != payments.NotificationProcessed || got.Detail != "applied" || !got.SignatureValid ||
		string(got.Body) != string(n.Body) || got.ProcessedAt.IsZero() || got.OrderID != "order-1" {
		t.Fatalf("stored notification %+v", got)
	}
	if err := s.FinishNotification(ctx, "missing", payments.NotificationFailed, ""); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("FinishNotification(missing) = %v", err)
	}

	// A notification that failed is finished again by a later copy, and
	// keeps when its first copy arrived: copies tell one in flight from one
	// whose processor is gone by it.
	at := time.Date(2026, 11, 21, 3, 0, 0, 123_000_000, time.UTC)
	f := &payments.Notification{DedupKey: "order-2|failed", OrderID: "order-2", SignatureValid: true, Body: json.RawMessage(`{}`), ReceivedAt: at}
	if _, err := s.InsertNotification(ctx, f); err != nil {
		t.Fatal(err)
	}
	if got, err := s.NotificationByDedupKey(ctx, f.DedupKey); err != nil || got.State != payments.NotificationReceived || !got.ReceivedAt.Equal(at) {
		t.Fatalf("new notification: %+v %v", got, err)
	}
	for _, st := range []payments.NotificationState{payments.NotificationFailed, payments.NotificationProcessed} {
		if err := s.FinishNotification(ctx, f.ID, st, string(st)); err != nil {
			t.Fatal(err)
		}
		got, err := s.NotificationByDedupKey(ctx, f.DedupKey)
		if err != nil || got.State != st || !got.ReceivedAt.Equal(at) || got.ProcessedAt.IsZero() {
			t.Fatalf("after finishing %s: %+v %v", st, got, err)
		}
	}
}

func testConcurrentInbox(t *testing.T, s payments.Store) {
	const n = 50
	var inserted atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.InsertNotification(ctxT(t), &payments.Notification{DedupKey: "storm", Body: json.RawMessage(`{}`)})
			if err != nil {
				t.Error(err)
			}
			if ok {
				inserted.Add(1)
			}
		}()
	}
	wg.Wait()
	if inserted.Load() != 1 {
		t.Fatalf("%d inserts of one dedup key, want 1", inserted.Load())
	}
}

func testOutboxOrderPerPayment(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	a := mustCreate(t, s, "order-ob-a")
	b := mustCreate(t, s, "order-ob-b")
	mustApply(t, s, change("order-ob-a", payments.StatusPending))
	mustApply(t, s, change("order-ob-b", payments.StatusPending))
	// Only the head event of each payment is claimable.
	evs, err := s.ClaimEvents(ctx, "w1", 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Signal != payments.SignalCreated || evs[1].Signal != payments.SignalCreated ||
		evs[0].PaymentID == evs[1].PaymentID || evs[0].Attempts != 1 || evs[0].LeaseOwner != "w1" {
		t.Fatalf("first claim %+v", evs)
	}
	// While a's head is leased, nothing else of a is claimable.
	if more, _ := s.ClaimEvents(ctx, "w2", 100, time.Minute); len(more) != 0 {
		t.Fatalf("claimed behind a leased head: %v", signals(more))
	}
	for _, e := range evs {
		if e.PaymentID == a.ID {
			if err := s.MarkDelivered(ctx, e.Seq, "w1"); err != nil {
				t.Fatal(err)
			}
		}
	}
	next, err := s.ClaimEvents(ctx, "w2", 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(next) != 1 || next[0].PaymentID != a.ID || next[0].Signal != payments.SignalPending {
		t.Fatalf("after delivering a's head: %+v", next)
	}
	_ = b
	rest := drain(t, s)
	_ = rest
}

func testOutboxLease(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	mustCreate(t, s, "order-lease")
	evs, err := s.ClaimEvents(ctx, "w1", 10, 200*time.Millisecond)
	if err != nil || len(evs) != 1 {
		t.Fatalf("claim = %v, %v", evs, err)
	}
	if err := s.MarkDelivered(ctx, evs[0].Seq, "intruder"); !errors.Is(err, payments.ErrLeaseLost) {
		t.Fatalf("MarkDelivered by a non-owner = %v, want ErrLeaseLost", err)
	}
	// The holder dies; after the lease runs out another worker takes over.
	deadline := time.Now().Add(10 * time.Second)
	var again []*payments.OutboxEvent
	for time.Now().Before(deadline) {
		again, err = s.ClaimEvents(ctx, "w2", 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(again) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(again) != 1 || again[0].Seq != evs[0].Seq || again[0].Attempts != 2 || again[0].LeaseOwner != "w2" {
		t.Fatalf("reclaim after lease expiry: %+v", again)
	}
	if err := s.MarkDelivered(ctx, evs[0].Seq, "w1"); !errors.Is(err, payments.ErrLeaseLost) {
		t.Fatalf("old owner MarkDelivered = %v, want ErrLeaseLost", err)
	}
	if err := s.MarkDelivered(ctx, again[0].Seq, "w2"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, again[0].Seq, "w2"); !errors.Is(err, payments.ErrLeaseLost) {
		t.Fatalf("second MarkDelivered = %v, want ErrLeaseLost", err)
	}
	ev, err := s.Event(ctx, again[0].ID)
	if err != nil || ev.DeliveredAt.IsZero() || ev.LeaseOwner != "" {
		t.Fatalf("delivered event %+v, %v", ev, err)
	}
}

func testOutboxRetryAndDead(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	mustCreate(t, s, "order-retry")
	mustApply(t, s, change("order-retry", payments.StatusPending))
	evs, _ := s.ClaimEvents(ctx, "w", 10, time.Minute)
	if len(evs) != 1 {
		t.Fatalf("claim %v", signals(evs))
	}
	head := evs[0]
	if err := s.RetryEvent(ctx, head.Seq, "w", time.Now().Add(time.Hour), "receiver said no"); err != nil {
		t.Fatal(err)
	}
	// Not due for an hour, and it still blocks the payment's later events.
	if more, _ := s.ClaimEvents(ctx, "w", 10, time.Minute); len(more) != 0 {
		t.Fatalf("claimed %v while the head waits for its retry", signals(more))
	}
	ev, _ := s.Event(ctx, head.ID)
	if ev.LastError != "receiver said no" || ev.LeaseOwner != "" || ev.NextAttemptAt.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("retried event %+v", ev)
	}
	if err := s.RetryEvent(ctx, head.Seq, "w", time.Now(), "x"); !errors.Is(err, payments.ErrLeaseLost) {
		t.Fatalf("RetryEvent without the lease = %v", err)
	}
	mustCreate(t, s, "order-dead")
	dead, _ := s.ClaimEvents(ctx, "w", 10, time.Minute)
	if len(dead) != 1 || dead[0].OrderID != "order-dead" {
		t.Fatalf("claim %+v", dead)
	}
	if err := s.MarkDead(ctx, dead[0].Seq, "w", "gave up after 10 attempts"); err != nil {
		t.Fatal(err)
	}
	ev, _ = s.Event(ctx, dead[0].ID)
	if !ev.Dead || ev.LastError == "" || !ev.DeliveredAt.IsZero() {
		t.Fatalf("dead event %+v", ev)
	}
	// A dead head no longer blocks the payment's later events.
	mustApply(t, s, change("order-dead", payments.StatusPending))
	next, _ := s.ClaimEvents(ctx, "w", 10, time.Minute)
	if len(next) != 1 || next[0].OrderID != "order-dead" || next[0].Signal != payments.SignalPending {
		t.Fatalf("after a dead head: %+v", next)
	}
}

func testOutboxEventPayload(t *testing.T, s payments.Store) {
	mustCreate(t, s, "order-payload")
	drain(t, s)
	raw := json.RawMessage(`{"transaction_status":"settlement","order_id":"order-payload"}`)
	c := change("order-payload", payments.StatusSettlement)
	c.Payload = raw
	res := mustApply(t, s, c)
	evs := drain(t, s)
	if len(evs) != 2 {
		t.Fatalf("events %v", signals(evs))
	}
	for i, e := range evs {
		var ev payments.Event
		if err := json.Unmarshal(e.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.ID != e.ID || ev.ID != res.Events[i].ID || ev.Signal != e.Signal || ev.Source != payments.SourceNotification ||
			ev.Payment == nil || ev.Payment.OrderID != "order-payload" || ev.Payment.Status != payments.StatusSettlement ||
			ev.Previous.Status != payments.StatusInitiated || ev.Current.Status != payments.StatusSettlement ||
			string(ev.Payload) != string(raw) || ev.OccurredAt.IsZero() {
			t.Fatalf("event %d payload %+v", i, ev)
		}
	}
	if evs[0].ID == evs[1].ID {
		t.Fatal("two events share an id")
	}
}

// testConcurrentOutboxWorkers: 8 workers drain 1,000 events, finishing
// each with MarkDelivered; each event is delivered exactly once and every
// payment's events in order.
func testConcurrentOutboxWorkers(t *testing.T, s payments.Store) {
	concurrentOutboxWorkers(t, s, func(owner string, evs []*payments.OutboxEvent) error {
		for _, e := range evs {
			if err := s.MarkDelivered(ctxT(t), e.Seq, owner); err != nil {
				return err
			}
		}
		return nil
	})
}

// testConcurrentOutboxBatchWorkers: the same, each claim finished with one
// MarkDeliveredBatch, which must lose none.
func testConcurrentOutboxBatchWorkers(t *testing.T, s payments.Store) {
	concurrentOutboxWorkers(t, s, func(owner string, evs []*payments.OutboxEvent) error {
		seqs := make([]int64, len(evs))
		for i, e := range evs {
			seqs[i] = e.Seq
		}
		lost, err := s.MarkDeliveredBatch(ctxT(t), seqs, owner)
		if err == nil && len(lost) > 0 {
			err = fmt.Errorf("%s lost %v", owner, lost)
		}
		return err
	})
}

func concurrentOutboxWorkers(t *testing.T, s payments.Store, finish func(owner string, evs []*payments.OutboxEvent) error) {
	const payments_ = 200 // 5 events each: created, pending+status_changed, paid+status_changed
	for i := range payments_ {
		id := fmt.Sprintf("order-w-%03d", i)
		mustCreate(t, s, id)
		mustApply(t, s, change(id, payments.StatusPending))
		mustApply(t, s, change(id, payments.StatusSettlement))
	}
	var mu sync.Mutex
	delivered := map[int64]int{}
	order := map[string][]int64{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("worker-%d", w)
			idle := 0
			for idle < 3 {
				evs, err := s.ClaimEvents(ctxT(t), owner, 25, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(evs) == 0 {
					idle++
					time.Sleep(20 * time.Millisecond)
					continue
				}
				idle = 0
				for _, e := range evs {
					mu.Lock()
					delivered[e.Seq]++
					order[e.PaymentID] = append(order[e.PaymentID], e.Seq)
					mu.Unlock()
				}
				if err := finish(owner, evs); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(delivered) != payments_*5 {
		t.Fatalf("%d distinct events delivered, want %d", len(delivered), payments_*5)
	}
	for seq, n := range delivered {
		if n != 1 {
			t.Fatalf("event %d delivered %d times", seq, n)
		}
	}
	for pid, seqs := range order {
		if !sort.SliceIsSorted(seqs, func(i, j int) bool { return seqs[i] < seqs[j] }) || len(seqs) != 5 {
			t.Fatalf("payment %s events delivered as %v", pid, seqs)
		}
	}
	if evs := drain(t, s); len(evs) != 0 {
		t.Fatalf("%d events left undelivered", len(evs))
	}
}

func testReconcile(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	// unknown, pending (no expiry), pending with a past expiry, settled, initiated.
	for _, id := range []string{"rec-unknown", "rec-pending", "rec-expired", "rec-settled", "rec-initiated"} {
		mustCreate(t, s, id)
	}
	mustApply(t, s, change("rec-unknown", payments.StatusUnknown))
	mustApply(t, s, change("rec-pending", payments.StatusPending))
	c := change("rec-expired", payments.StatusPending)
	c.ExpiresAt = time.Now().Add(-time.Hour)
	mustApply(t, s, c)
	mustApply(t, s, change("rec-settled", payments.StatusSettlement))
	now := time.Now()
	// Each case claims an hour after the one before, with SyncedBefore
	// after the earlier claims: what they claimed is due again.
	claimed := func(q payments.ReconcileQuery, at time.Time) []string {
		t.Helper()
		var out []string
		for {
			batch, err := s.ClaimReconcile(ctx, q, at)
			if err != nil {
				t.Fatal(err)
			}
			if len(batch) > q.Limit {
				t.Fatalf("batch of %d over limit %d", len(batch), q.Limit)
			}
			for _, p := range batch {
				out = append(out, p.OrderID)
			}
			if len(batch) < q.Limit {
				sort.Strings(out)
				return out
			}
			if len(out) > 10 {
				t.Fatalf("claims return the same payments again: %v", out)
			}
		}
	}
	cases := []struct {
		name string
		q    payments.ReconcileQuery
		want []string
	}{
		{"unknown outcome", payments.ReconcileQuery{UnknownBefore: now.Add(time.Minute), Limit: 1}, []string{"rec-initiated", "rec-unknown"}},
		{"pending past threshold", payments.ReconcileQuery{PendingBefore: now.Add(time.Minute), Limit: 1}, []string{"rec-expired", "rec-pending"}},
		{"expired locally", payments.ReconcileQuery{ExpiredBefore: now, Limit: 1}, []string{"rec-expired"}},
		{"all three", payments.ReconcileQuery{UnknownBefore: now.Add(time.Minute), PendingBefore: now.Add(time.Minute), ExpiredBefore: now, Limit: 2},
			[]string{"rec-expired", "rec-initiated", "rec-pending", "rec-unknown"}},
		{"nothing old enough", payments.ReconcileQuery{UnknownBefore: now.Add(-time.Hour), PendingBefore: now.Add(-time.Hour), ExpiredBefore: now.Add(-2 * time.Hour), Limit: 10}, nil},
		{"no criteria", payments.ReconcileQuery{Limit: 10}, nil},
	}
	for i, tc := range cases {
		at := now.Add(time.Duration(i+1) * time.Hour)
		tc.q.SyncedBefore = at.Add(-time.Minute)
		if got := claimed(tc.q, at); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// After the lease every due payment is claimed again; within it
	// (claimed since SyncedBefore), none.
	at := now.Add(time.Duration(len(cases)+2) * time.Hour)
	all := payments.ReconcileQuery{UnknownBefore: now.Add(time.Minute), PendingBefore: now.Add(time.Minute), ExpiredBefore: now,
		SyncedBefore: at.Add(-time.Hour), Limit: 10}
	if got := claimed(all, at); len(got) != 4 {
		t.Errorf("claimed after the lease: %v, want all four due payments", got)
	}
	all.SyncedBefore = at.Add(-30 * time.Minute)
	if got := claimed(all, at.Add(time.Minute)); got != nil {
		t.Errorf("claimed again within the lease: %v", got)
	}
	for name, q := range map[string]payments.ReconcileQuery{
		"a zero limit":                 {PendingBefore: now, SyncedBefore: now.Add(-time.Minute)},
		"no SyncedBefore":              {PendingBefore: now, Limit: 10},
		"SyncedBefore at the claim":    {PendingBefore: now, SyncedBefore: at, Limit: 10},
		"SyncedBefore after the claim": {PendingBefore: now, SyncedBefore: at.Add(time.Second), Limit: 10},
	} {
		if _, err := s.ClaimReconcile(ctx, q, at); err == nil {
			t.Errorf("%s was accepted", name)
		}
	}
}

// testReconcilePassesAcrossReplicas: replicas each run the reconciler's
// two passes, as Service.ReconcileOnce does — unknown outcomes and local
// expiries, then long-pending payments — at the same time, and write what
// each claimed payment's status call answered (settled) and mark it
// synced. Between them every due payment is claimed once: one claimer's
// statements must not hide a payment from the others without claiming it
// (on MySQL, with SKIP LOCKED, a claim skipped rows another statement had
// locked only to read past them, and they stayed pending a round).
func testReconcilePassesAcrossReplicas(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	const n = 12
	mustCreate(t, s, "passes-initiated") // an unknown outcome, not old enough
	for round := range 40 {
		for i := range n {
			id := fmt.Sprintf("passes-%d-%02d", round, i)
			mustCreate(t, s, id)
			c := change(id, payments.StatusPending)
			c.ExpiresAt = time.Now().Add(24 * time.Hour)
			mustApply(t, s, c)
		}
		now := time.Now()
		at := now.Add(time.Hour)
		passes := []payments.ReconcileQuery{
			{UnknownBefore: now.Add(-time.Hour), ExpiredBefore: now.Add(-time.Hour), SyncedBefore: now, Limit: 20},
			{PendingBefore: now.Add(time.Minute), SyncedBefore: now, Limit: 20},
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 2 {
			wg.Go(func() {
				<-start
				for _, q := range passes {
					for {
						batch, err := s.ClaimReconcile(ctx, q, at)
						if err != nil {
							t.Error(err)
							return
						}
						for _, p := range batch {
							mu.Lock()
							seen[p.OrderID]++
							mu.Unlock()
							if _, err := s.Apply(ctx, change(p.OrderID, payments.StatusSettlement)); err != nil {
								t.Error(err)
							}
							if err := s.MarkSynced(ctx, p.ID, at); err != nil {
								t.Error(err)
							}
						}
						if len(batch) < q.Limit {
							break
						}
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if len(seen) != n {
			t.Errorf("round %d: the replicas claimed %d distinct payments, want %d: %v", round, len(seen), n, seen)
		}
		for id, times := range seen {
			if times != 1 || id == "passes-initiated" {
				t.Errorf("round %d: %s claimed %d times", round, id, times)
			}
		}
		if t.Failed() {
			return
		}
	}
}

// testConcurrentReconcileClaims: replicas claiming the same due payments at
// the same time each get a share, and every payment is claimed exactly
// once; within the lease nobody claims it again, after it everyone may;
// payments that are not due are never claimed.
func testConcurrentReconcileClaims(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	const n = 40
	for i := range n {
		id := fmt.Sprintf("claim-%02d", i)
		mustCreate(t, s, id)
		mustApply(t, s, change(id, payments.StatusPending))
	}
	mustCreate(t, s, "claim-settled")
	mustApply(t, s, change("claim-settled", payments.StatusSettlement))
	mustCreate(t, s, "claim-initiated") // an unknown outcome, but UnknownBefore is not set
	now := time.Now()
	q := payments.ReconcileQuery{PendingBefore: now.Add(time.Minute), SyncedBefore: now.Add(time.Hour), Limit: 3}
	at := now.Add(2 * time.Hour)
	claimAll := func(owners int) map[string]int {
		t.Helper()
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range owners {
			wg.Go(func() {
				<-start
				for {
					batch, err := s.ClaimReconcile(ctx, q, at)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, p := range batch {
						seen[p.OrderID]++
					}
					mu.Unlock()
					if len(batch) < q.Limit {
						return
					}
				}
			})
		}
		close(start)
		wg.Wait()
		return seen
	}
	for _, owners := range []int{2, 3, 4} {
		seen := claimAll(owners)
		if len(seen) != n {
			t.Errorf("%d owners claimed %d distinct payments, want %d", owners, len(seen), n)
		}
		for id, times := range seen {
			if times != 1 {
				t.Errorf("%d owners: %s claimed %d times", owners, id, times)
			}
			if id == "claim-settled" || id == "claim-initiated" {
				t.Errorf("%d owners: %s claimed, not due", owners, id)
			}
		}
		// Within the lease: nothing is left to claim, from any owner.
		if again := claimAll(2); len(again) != 0 {
			t.Errorf("claimed again within the lease: %v", again)
		}
		// After it, every payment is due again for the next round.
		q.SyncedBefore = at
		at = at.Add(time.Hour)
	}
	if got := mustGet(t, s, "claim-00"); got.Version != 2 || got.Status != payments.StatusPending {
		t.Fatalf("claims changed the payment: version %d, %s", got.Version, got.Status)
	}
}

func testMarkSynced(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	p := mustCreate(t, s, "rec-synced")
	mustApply(t, s, change("rec-synced", payments.StatusPending))
	now := time.Now()
	q := payments.ReconcileQuery{PendingBefore: now.Add(time.Minute), SyncedBefore: now.Add(-time.Minute), Limit: 10}
	if got, err := s.ClaimReconcile(ctx, q, now); err != nil || len(got) != 1 {
		t.Fatalf("never-synced payment not claimed: %d, %v", len(got), err)
	}
	// Synced later than the claim: not due until a query after that sync.
	if err := s.MarkSynced(ctx, p.ID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	q.SyncedBefore = now.Add(30 * time.Minute)
	if got, err := s.ClaimReconcile(ctx, q, now.Add(40*time.Minute)); err != nil || len(got) != 0 {
		t.Fatalf("payment synced since SyncedBefore claimed: %d, %v", len(got), err)
	}
	q.SyncedBefore = now.Add(time.Hour)
	if got, err := s.ClaimReconcile(ctx, q, now.Add(2*time.Hour)); err != nil || len(got) != 1 {
		t.Fatalf("payment synced long enough ago not claimed: %d, %v", len(got), err)
	}
	if got := mustGet(t, s, "rec-synced"); got.Version != 2 {
		t.Fatalf("MarkSynced or a claim changed the version to %d", got.Version)
	}
	if err := s.MarkSynced(ctx, "missing", now); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("MarkSynced(missing) = %v", err)
	}
}
