package payments

import (
	"fmt"
	"strings"
	"testing"
)

// transitionSpec is the status machine written out by hand, one row per
// current status and one column per proposed status (plain statuses, no fraud
// or refund refinements): A = applied, . = stale, = = duplicate. It is the
// reviewed specification that the table in status.go must match.
const transitionSpec = `
                    ini unk pen aut cap set den can exp fai ref prf chb pcb
initiated            =   A   A   A   A   A   A   A   A   A   A   A   A   A
unknown              .   =   A   A   A   A   A   A   A   A   A   A   A   A
pending              .   .   =   A   A   A   A   A   A   A   A   A   A   A
authorize            .   .   .   =   A   A   A   A   A   A   A   A   A   A
capture              .   .   .   .   =   A   A   A   .   .   A   A   A   A
settlement           .   .   .   .   .   =   A   .   .   .   A   A   A   A
deny                 .   .   .   .   .   .   =   .   .   .   .   .   .   .
cancel               .   .   .   .   .   A   .   =   .   .   A   A   A   A
expire               .   .   .   .   A   A   .   .   =   .   A   A   A   A
failure              .   .   .   .   A   A   .   .   .   =   A   A   A   A
refund               .   .   .   .   .   .   .   .   .   .   =   .   .   .
partial_refund       .   .   .   .   .   .   .   .   .   .   A   =   A   A
chargeback           .   .   .   .   .   .   .   .   .   .   .   .   =   .
partial_chargeback   .   .   .   .   .   .   .   .   .   .   A   .   A   =
`

// TestDecideEveryPair checks every (from, to) pair of known statuses, plus
// unrecognised statuses on either side.
func TestDecideEveryPair(t *testing.T) {
	all := Statuses()
	lines := strings.Split(strings.TrimSpace(transitionSpec), "\n")[1:]
	if len(lines) != len(all) {
		t.Fatalf("spec has %d rows, want %d", len(lines), len(all))
	}
	for i, line := range lines {
		fields := strings.Fields(line)
		from := Status(fields[0])
		if from != all[i] {
			t.Fatalf("spec row %d is %q, want %q", i, from, all[i])
		}
		if len(fields)-1 != len(all) {
			t.Fatalf("spec row %q has %d cells", from, len(fields)-1)
		}
		for j, cell := range fields[1:] {
			to := all[j]
			want := map[string]Decision{"A": Applied, ".": Stale, "=": Duplicate}[cell]
			t.Run(fmt.Sprintf("%s->%s", from, to), func(t *testing.T) {
				got := Decide(State{Status: from}, State{Status: to})
				if got.Decision != want {
					t.Fatalf("Decide(%s, %s) = %s (%s), want %s", from, to, got.Decision, got.Reason, want)
				}
			})
		}
	}
	for _, from := range all {
		for _, odd := range []Status{"partial_settlement", "PENDINGX", ""} {
			if got := Decide(State{Status: from}, State{Status: odd}); got.Decision != Stale || got.Reason != ReasonUnrecognized {
				t.Errorf("Decide(%s, %q) = %+v, want stale unrecognised", from, odd, got)
			}
			if got := Decide(State{Status: odd}, State{Status: from}); got.Decision != Stale {
				t.Errorf("Decide(%q, %s) = %+v, want stale", odd, from, got)
			}
		}
	}
}

func TestTransitionsMatchesDecide(t *testing.T) {
	table := Transitions()
	for _, from := range Statuses() {
		allowed := map[Status]bool{}
		for _, to := range table[from] {
			allowed[to] = true
		}
		for _, to := range Statuses() {
			if from == to {
				continue
			}
			applied := Decide(State{Status: from}, State{Status: to}).Decision == Applied
			if applied != allowed[to] {
				t.Errorf("Transitions()[%s] has %s = %v, Decide says applied = %v", from, to, allowed[to], applied)
			}
		}
	}
	table[StatusDeny] = append(table[StatusDeny], StatusSettlement)
	if Decide(State{Status: StatusDeny}, State{Status: StatusSettlement}).Decision != Stale {
		t.Fatal("changing the returned map changed the machine")
	}
}

func TestDecideRefinements(t *testing.T) {
	cases := []struct {
		name     string
		from, to State
		want     Decision
		reason   Reason
	}{
		{"challenge approved", State{Status: StatusCapture, Fraud: FraudChallenge}, State{Status: StatusCapture, Fraud: FraudAccept}, Applied, ReasonReviewResolved},
		{"challenge denied by fraud status", State{Status: StatusCapture, Fraud: FraudChallenge}, State{Status: StatusCapture, Fraud: FraudDeny}, Applied, ReasonReviewResolved},
		{"challenge denied", State{Status: StatusCapture, Fraud: FraudChallenge}, State{Status: StatusDeny, Fraud: FraudDeny}, Applied, ReasonAllowed},
		{"late challenge after approval", State{Status: StatusCapture, Fraud: FraudAccept}, State{Status: StatusCapture, Fraud: FraudChallenge}, Stale, ReasonFraudRegressed},
		{"fraud deny after accept", State{Status: StatusCapture, Fraud: FraudAccept}, State{Status: StatusCapture, Fraud: FraudDeny}, Applied, ReasonFraudDenied},
		{"absent and accept are both paid", State{Status: StatusSettlement}, State{Status: StatusSettlement, Fraud: FraudAccept}, Duplicate, ReasonSame},
		{"pending gains fraud accept", State{Status: StatusPending}, State{Status: StatusPending, Fraud: FraudAccept}, Duplicate, ReasonSame},
		{"second partial refund", State{Status: StatusPartialRefund, Refunded: 5000}, State{Status: StatusPartialRefund, Refunded: 8000}, Applied, ReasonMoreRefunded},
		{"repeated partial refund", State{Status: StatusPartialRefund, Refunded: 5000}, State{Status: StatusPartialRefund, Refunded: 5000}, Duplicate, ReasonSame},
		{"older partial refund", State{Status: StatusPartialRefund, Refunded: 8000}, State{Status: StatusPartialRefund, Refunded: 5000}, Stale, ReasonLessRefunded},
		{"further partial chargeback", State{Status: StatusPartialChargeback, Refunded: 1000}, State{Status: StatusPartialChargeback, Refunded: 2000}, Applied, ReasonMoreRefunded},
		{"refund totals ignored on full refund", State{Status: StatusRefund, Refunded: 10000}, State{Status: StatusRefund, Refunded: 9000}, Duplicate, ReasonSame},
		{"settlement reversal", State{Status: StatusSettlement, Fraud: FraudAccept}, State{Status: StatusDeny}, Applied, ReasonAllowed},
		{"late pending after settlement", State{Status: StatusSettlement}, State{Status: StatusPending}, Stale, ReasonNotAllowed},
		{"upper-case DANA status", State{Status: StatusInitiated}, State{Status: ParseStatus(" PENDING ")}, Applied, ReasonAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.from, tc.to)
			if got.Decision != tc.want || got.Reason != tc.reason {
				t.Fatalf("Decide(%+v, %+v) = %s/%q, want %s/%q", tc.from, tc.to, got.Decision, got.Reason, tc.want, tc.reason)
			}
		})
	}
}

func TestOutcomeOf(t *testing.T) {
	cases := []struct {
		s    Status
		f    FraudStatus
		want Outcome
	}{
		{StatusInitiated, "", OutcomePending},
		{StatusUnknown, "", OutcomeUnknown},
		{StatusPending, "", OutcomePending},
		{StatusPending, FraudAccept, OutcomePending},
		{StatusSettlement, "", OutcomePaid},
		{StatusSettlement, FraudAccept, OutcomePaid},
		{StatusSettlement, FraudDeny, OutcomeFailed},
		{StatusCapture, FraudAccept, OutcomePaid},
		{StatusCapture, "", OutcomePaid},
		{StatusCapture, FraudChallenge, OutcomeInReview},
		{StatusCapture, FraudDeny, OutcomeFailed},
		{StatusAuthorize, FraudAccept, OutcomeAuthorized},
		{StatusAuthorize, FraudChallenge, OutcomeInReview},
		{StatusDeny, FraudDeny, OutcomeFailed},
		{StatusCancel, "", OutcomeFailed},
		{StatusExpire, "", OutcomeFailed},
		{StatusFailure, "", OutcomeFailed},
		{StatusRefund, "", OutcomeRefunded},
		{StatusPartialRefund, "", OutcomePartiallyRefunded},
		{StatusChargeback, "", OutcomeChargedBack},
		{StatusPartialChargeback, "", OutcomeChargedBack},
		{"partial_settlement", "", OutcomeUnknown},
	}
	for _, tc := range cases {
		if got := OutcomeOf(tc.s, tc.f); got != tc.want {
			t.Errorf("OutcomeOf(%s, %q) = %s, want %s", tc.s, tc.f, got, tc.want)
		}
	}
}

// applyAll runs a delivery order through the machine from initiated and
// returns the final state and how many changes were applied.
func applyAll(seq []State) (State, int) {
	cur := State{Status: StatusInitiated}
	applied := 0
	for _, next := range seq {
		if Decide(cur, next).Decision == Applied {
			cur = next
			applied++
		}
	}
	return cur, applied
}

func permutations(in []State) [][]State {
	if len(in) <= 1 {
		return [][]State{append([]State(nil), in...)}
	}
	var out [][]State
	for i := range in {
		rest := append(append([]State(nil), in[:i]...), in[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]State{in[i]}, p...))
		}
	}
	return out
}

// TestDeliveryOrders: whatever order Midtrans' notifications arrive in, the
// payment ends where the real transaction ended.
func TestDeliveryOrders(t *testing.T) {
	pending := State{Status: StatusPending}
	settled := State{Status: StatusSettlement, Fraud: FraudAccept}
	expired := State{Status: StatusExpire}
	captured := State{Status: StatusCapture, Fraud: FraudAccept}
	refunded := State{Status: StatusRefund, Refunded: 10000}
	denied := State{Status: StatusDeny}
	cases := []struct {
		name   string
		events []State
		want   Status
	}{
		{"pending/settlement/expire", []State{pending, settled, expired}, StatusSettlement},
		{"capture/settlement/refund", []State{captured, settled, refunded}, StatusRefund},
		{"settlement/deny reversal", []State{settled, denied}, StatusDeny},
		{"pending/settlement/deny reversal", []State{pending, settled, denied}, StatusDeny},
	}
	for _, tc := range cases {
		for _, order := range permutations(tc.events) {
			var names []string
			for _, s := range order {
				names = append(names, string(s.Status))
			}
			t.Run(tc.name+"/"+strings.Join(names, ","), func(t *testing.T) {
				got, applied := applyAll(order)
				if got.Status != tc.want {
					t.Fatalf("ended in %s, want %s", got.Status, tc.want)
				}
				if applied < 1 || applied > len(order) {
					t.Fatalf("%d changes applied", applied)
				}
				// Delivering the whole sequence again changes nothing.
				cur := got
				for _, s := range order {
					if Decide(cur, s).Decision == Applied {
						t.Fatalf("replaying %s after the end state %s was applied", s.Status, cur.Status)
					}
				}
			})
		}
	}
}

// TestNoBackwardMoves: across every pair, an applied change never returns a
// payment to a local status, and never moves money that was taken back into
// a pending-like outcome.
func TestNoBackwardMoves(t *testing.T) {
	frauds := []FraudStatus{FraudNone, FraudAccept, FraudChallenge, FraudDeny}
	for _, fs := range Statuses() {
		for _, ff := range frauds {
			for _, ts := range Statuses() {
				for _, tf := range frauds {
					from, to := State{Status: fs, Fraud: ff}, State{Status: ts, Fraud: tf}
					if Decide(from, to).Decision != Applied {
						continue
					}
					if ts == StatusInitiated {
						t.Errorf("%+v -> %+v applied into initiated", from, to)
					}
					if ts == StatusUnknown && fs != StatusInitiated {
						t.Errorf("%+v -> %+v applied into unknown", from, to)
					}
					switch from.Outcome() {
					case OutcomePaid, OutcomeRefunded, OutcomePartiallyRefunded, OutcomeChargedBack:
						switch to.Outcome() {
						case OutcomePending, OutcomeAuthorized, OutcomeInReview, OutcomeUnknown:
							t.Errorf("%+v -> %+v moves taken money back to %s", from, to, to.Outcome())
						}
					}
					if fs.Final() && fs != ts {
						t.Errorf("%+v -> %+v leaves final status %s", from, to, fs)
					}
				}
			}
		}
	}
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]Status{"PENDING": StatusPending, " settlement\n": StatusSettlement, "Partial_Refund": StatusPartialRefund} {
		if got := ParseStatus(in); got != want || !got.Known() {
			t.Errorf("ParseStatus(%q) = %q known=%v, want %q", in, got, got.Known(), want)
		}
	}
	if ParseStatus("partial_settlement").Known() {
		t.Error("partial_settlement is not a documented status")
	}
	if ParseFraudStatus("ACCEPT") != FraudAccept {
		t.Error("fraud status case not normalised")
	}
}
