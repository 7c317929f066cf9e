package storetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

// testApplyFollowsPlan is the proof that a Store holds no domain rule of its
// own: across a long pseudo-random walk of changes (every status, fraud
// status, refund total, reject, and facts to merge or fill), what Apply
// stores, answers and fires is exactly what payments.Plan said for the
// payment as it stood. Only the times the store stamps may differ.
func testApplyFollowsPlan(t *testing.T, s payments.Store) {
	rng := rand.New(rand.NewPCG(7, 11))
	statuses := payments.Statuses()
	frauds := []payments.FraudStatus{payments.FraudNone, payments.FraudAccept, payments.FraudChallenge, payments.FraudDeny}
	for walk := range 4 {
		orderID := fmt.Sprintf("order-plan-%d", walk)
		mustCreate(t, s, orderID)
		drain(t, s)
		for step := range 40 {
			before := mustGet(t, s, orderID)
			c := &payments.Change{OrderID: orderID, Source: payments.SourceNotification,
				To: payments.State{Status: statuses[rng.IntN(len(statuses))], Fraud: frauds[rng.IntN(len(frauds))],
					Refunded: payments.Amount(rng.IntN(4)) * 10000}}
			if rng.IntN(3) == 0 {
				c.TransactionID = fmt.Sprintf("tx-plan-%d", walk)
			}
			if rng.IntN(3) == 0 {
				c.Instructions = &payments.Instructions{VANumber: fmt.Sprint(rng.IntN(3)), MerchantID: fmt.Sprint("G", rng.IntN(2))}
			}
			if rng.IntN(3) == 0 {
				c.ExpiresAt = time.Date(2026, 12, 3, rng.IntN(24), 0, 0, 0, time.UTC)
				c.SettlementTime = time.Date(2026, 12, 2, rng.IntN(24), 0, 0, 0, time.UTC)
			}
			if rng.IntN(4) == 0 {
				c.CustomField2 = fmt.Sprint("cf-", rng.IntN(3))
			}
			if rng.IntN(8) == 0 {
				c.Reject = payments.ReasonAmountMismatch
			}
			c.Payload = json.RawMessage(fmt.Sprintf(`{"step":%d}`, step))
			plan := payments.Plan(before, c, time.Now())
			res := mustApply(t, s, c)
			after := mustGet(t, s, orderID)
			where := fmt.Sprintf("walk %d step %d: %s → %+v", walk, step, before.State(), c.To)
			if res.Verdict != plan.Verdict {
				t.Fatalf("%s: verdict %+v, Plan says %+v", where, res.Verdict, plan.Verdict)
			}
			if got, want := signals(res.Events), planSignals(plan); !equalSignals(got, want) {
				t.Fatalf("%s: events %v, Plan says %v", where, got, want)
			}
			want := before
			if plan.Next != nil {
				want = plan.Next
			}
			if !samePayment(after, want) {
				t.Fatalf("%s:\nstored %+v\nPlan   %+v", where, after, want)
			}
			if !samePayment(res.Payment, want) {
				t.Fatalf("%s: Apply answered %+v, Plan says %+v", where, res.Payment, want)
			}
			drain(t, s)
		}
	}
}

func planSignals(p payments.ChangePlan) []payments.Signal {
	out := make([]payments.Signal, len(p.Events))
	for i, e := range p.Events {
		out[i] = e.Signal
	}
	return out
}

// samePayment compares payments as stored, but for the times the store
// stamps with its own clock (UpdatedAt, and PaidAt when it is set).
func samePayment(a, b *payments.Payment) bool {
	ac, bc := *a, *b
	if ac.PaidAt.IsZero() != bc.PaidAt.IsZero() {
		return false
	}
	ac.UpdatedAt, bc.UpdatedAt = time.Time{}, time.Time{}
	ac.PaidAt, bc.PaidAt = time.Time{}, time.Time{}
	ja, err1 := json.Marshal(ac)
	jb, err2 := json.Marshal(bc)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// testApplyLearnsFacts: a report whose status is not news still brings the
// facts the payment lacks (merchant id, expiry, Midtrans' times, custom
// fields), and an applied one keeps Midtrans' transaction and settlement
// times next to the local ones.
func testApplyLearnsFacts(t *testing.T, s payments.Store) {
	mustCreate(t, s, "order-learn")
	mustApply(t, s, change("order-learn", payments.StatusPending))
	exp := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	txTime := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	c := change("order-learn", payments.StatusPending)
	c.Instructions = &payments.Instructions{MerchantID: "G141532850"}
	c.ExpiresAt, c.TransactionTime = exp, txTime
	res := mustApply(t, s, c)
	if res.Verdict.Decision != payments.Duplicate || len(res.Events) != 0 {
		t.Fatalf("verdict %+v, %d events", res.Verdict, len(res.Events))
	}
	got := mustGet(t, s, "order-learn")
	if got.MerchantID != "G141532850" || !got.ExpiresAt.Equal(exp) || !got.TransactionTime.Equal(txTime) {
		t.Fatalf("facts of an unchanged status dropped: merchant %q expiry %v transaction time %v", got.MerchantID, got.ExpiresAt, got.TransactionTime)
	}
	settled := time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	paid := change("order-learn", payments.StatusSettlement)
	paid.SettlementTime, paid.CustomField1 = settled, "from-midtrans"
	mustApply(t, s, paid)
	got = mustGet(t, s, "order-learn")
	if !got.SettlementTime.Equal(settled) || !got.TransactionTime.Equal(txTime) || got.PaidAt.IsZero() || got.CustomField1 != "from-midtrans" {
		t.Fatalf("settlement facts: settlement %v transaction %v paid %v custom %q", got.SettlementTime, got.TransactionTime, got.PaidAt, got.CustomField1)
	}
	if !reflect.DeepEqual(got.Items, newPayment("x").Items) {
		t.Fatalf("items changed: %+v", got.Items)
	}
}
