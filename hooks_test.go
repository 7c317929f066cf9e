package payments

import (
	"fmt"
	"testing"
	"time"
)

// walk applies a delivery sequence the way a store does (Decide, then the
// state and PaidAt) and returns every signal fired.
func walk(seq []State) []Signal {
	cur := &Payment{Status: StatusInitiated, Amount: 10000}
	var out []Signal
	for _, to := range seq {
		if Decide(cur.State(), to).Decision != Applied {
			continue
		}
		next := *cur
		next.Status, next.FraudStatus = to.Status, to.Fraud
		if to.Refunded > next.RefundedAmount {
			next.RefundedAmount = to.Refunded
		}
		if next.Paid() && next.PaidAt.IsZero() {
			next.PaidAt = time.Unix(1, 0)
		}
		out = append(out, SignalsFor(cur, &next)...)
		cur = &next
	}
	return out
}

func TestSignalsFor(t *testing.T) {
	settled := State{Status: StatusSettlement, Fraud: FraudAccept}
	cases := []struct {
		seq  []State
		want []Signal
	}{
		{[]State{{Status: StatusPending}}, []Signal{SignalPending, SignalStatusChanged}},
		{[]State{{Status: StatusPending}, settled}, []Signal{SignalPending, SignalStatusChanged, SignalPaid, SignalStatusChanged}},
		{[]State{{Status: StatusCapture, Fraud: FraudAccept}, settled}, []Signal{SignalPaid, SignalStatusChanged, SignalStatusChanged}},
		{[]State{{Status: StatusCapture, Fraud: FraudChallenge}, {Status: StatusCapture, Fraud: FraudAccept}},
			[]Signal{SignalInReview, SignalStatusChanged, SignalPaid, SignalStatusChanged}},
		{[]State{{Status: StatusCapture, Fraud: FraudChallenge}, {Status: StatusDeny, Fraud: FraudDeny}},
			[]Signal{SignalInReview, SignalStatusChanged, SignalDenied, SignalStatusChanged}},
		{[]State{{Status: StatusAuthorize, Fraud: FraudAccept}, {Status: StatusCapture, Fraud: FraudAccept}},
			[]Signal{SignalAuthorized, SignalStatusChanged, SignalPaid, SignalStatusChanged}},
		{[]State{settled, {Status: StatusDeny}}, []Signal{SignalPaid, SignalStatusChanged, SignalReversed, SignalStatusChanged}},
		{[]State{{Status: StatusPending}, {Status: StatusDeny}}, []Signal{SignalPending, SignalStatusChanged, SignalDenied, SignalStatusChanged}},
		{[]State{{Status: StatusPending}, {Status: StatusCancel}}, []Signal{SignalPending, SignalStatusChanged, SignalCancelled, SignalStatusChanged}},
		{[]State{{Status: StatusPending}, {Status: StatusExpire}}, []Signal{SignalPending, SignalStatusChanged, SignalExpired, SignalStatusChanged}},
		{[]State{{Status: StatusFailure}}, []Signal{SignalFailed, SignalStatusChanged}},
		{[]State{settled, {Status: StatusPartialRefund, Refunded: 1000}, {Status: StatusPartialRefund, Refunded: 3000}, {Status: StatusRefund, Refunded: 10000}},
			[]Signal{SignalPaid, SignalStatusChanged, SignalPartiallyRefunded, SignalStatusChanged, SignalPartiallyRefunded, SignalStatusChanged, SignalRefunded, SignalStatusChanged}},
		{[]State{settled, {Status: StatusChargeback}}, []Signal{SignalPaid, SignalStatusChanged, SignalChargedBack, SignalStatusChanged}},
		{[]State{{Status: StatusCapture, Fraud: FraudAccept}, {Status: StatusCapture, Fraud: FraudDeny}},
			[]Signal{SignalPaid, SignalStatusChanged, SignalReversed, SignalStatusChanged}},
		{[]State{{Status: StatusUnknown}, {Status: StatusPending}}, []Signal{SignalStatusChanged, SignalPending, SignalStatusChanged}},
		// A late payment after expiry is paid once.
		{[]State{{Status: StatusPending}, {Status: StatusExpire}, settled},
			[]Signal{SignalPending, SignalStatusChanged, SignalExpired, SignalStatusChanged, SignalPaid, SignalStatusChanged}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.seq), func(t *testing.T) {
			if got := walk(tc.seq); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("signals %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPaidAtMostOnce: over every delivery sequence of up to four Midtrans
// states (with fraud variants), paid fires at most once, and a payment that
// ends paid fired it exactly once.
func TestPaidAtMostOnce(t *testing.T) {
	var states []State
	for _, s := range Statuses() {
		if s.Local() {
			continue
		}
		for _, f := range []FraudStatus{FraudNone, FraudAccept, FraudChallenge} {
			if f == FraudChallenge && s != StatusCapture {
				continue
			}
			refunded := Amount(0)
			if s == StatusPartialRefund || s == StatusPartialChargeback {
				refunded = 4000
			}
			states = append(states, State{Status: s, Fraud: f, Refunded: refunded})
		}
	}
	var seq [4]State
	n := 0
	var rec func(depth int)
	rec = func(depth int) {
		if depth > 0 {
			sigs := walk(seq[:depth])
			paid, reversed := 0, 0
			for _, s := range sigs {
				switch s {
				case SignalPaid:
					paid++
				case SignalReversed:
					reversed++
				}
			}
			if paid > 1 {
				t.Fatalf("%v fired paid %d times: %v", seq[:depth], paid, sigs)
			}
			if reversed > paid {
				t.Fatalf("%v reversed a payment never paid: %v", seq[:depth], sigs)
			}
			n++
		}
		if depth == len(seq) {
			return
		}
		for _, s := range states {
			seq[depth] = s
			rec(depth + 1)
		}
	}
	rec(0)
	if n < 10000 {
		t.Fatalf("only %d sequences checked", n)
	}
}
