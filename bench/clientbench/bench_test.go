package clientbench

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// TestBothClientsSucceed makes every benchmarked call once with each
// client against one simulator and checks the answers and what the
// simulator received, so the benchmarks time real work.
func TestBothClientsSucceed(t *testing.T) {
	p := newPair(t)
	ctx := context.Background()
	for _, op := range operations {
		for _, c := range []struct {
			name string
			call func(context.Context, *pair, string) error
		}{{"ours", op.ours}, {"official", op.official}} {
			t.Run(op.name+"/"+c.name, func(t *testing.T) {
				orderID := p.statusOrder
				if op.fresh {
					orderID = op.name + "-" + c.name
				}
				before := len(p.sim.Calls())
				if err := c.call(ctx, p, orderID); err != nil {
					t.Fatal(err)
				}
				calls := p.sim.Calls()
				if len(calls) != before+1 {
					t.Fatalf("simulator saw %d calls, want 1", len(calls)-before)
				}
				if got := calls[len(calls)-1]; got.StatusCode != wantHTTP(op.name) {
					t.Fatalf("simulator answered HTTP %d to %s %s, want %d", got.StatusCode, got.Method, got.Path, wantHTTP(op.name))
				}
				if op.name == "charge" {
					if tr, ok := p.sim.Transaction(orderID); !ok || tr.Status != "pending" {
						t.Fatalf("simulator has %+v, %v; want a pending transaction", tr, ok)
					}
				}
			})
		}
	}
}

// TestSameRequests checks that both clients send the same JSON (apart
// from the order id) for the calls that have a body, so the benchmarks
// compare the same work.
func TestSameRequests(t *testing.T) {
	p := newPair(t)
	ctx := context.Background()
	for _, op := range operations {
		if !op.fresh {
			continue
		}
		t.Run(op.name, func(t *testing.T) {
			var bodies [2]map[string]any
			for i, call := range []func(context.Context, *pair, string) error{op.ours, op.official} {
				if err := call(ctx, p, "same-"+op.name+strconv.Itoa(i)); err != nil {
					t.Fatal(err)
				}
				calls := p.sim.Calls()
				if err := json.Unmarshal(calls[len(calls)-1].Body, &bodies[i]); err != nil {
					t.Fatal(err)
				}
				delete(bodies[i]["transaction_details"].(map[string]any), "order_id")
			}
			if !reflect.DeepEqual(bodies[0], bodies[1]) {
				t.Fatalf("the clients sent different requests:\nours:     %v\nofficial: %v", bodies[0], bodies[1])
			}
		})
	}
}

// wantHTTP is the simulator's HTTP status for each operation: Core API
// answers under 200, Snap creates with 201.
func wantHTTP(op string) int {
	if op == "snap" {
		return 201
	}
	return 200
}

// BenchmarkCharge, BenchmarkStatus and BenchmarkSnap time one call by each
// client, each sub-benchmark against a simulator of its own, so neither
// meets the state the other left.
func BenchmarkCharge(b *testing.B) { benchBoth(b, operations[0]) }
func BenchmarkStatus(b *testing.B) { benchBoth(b, operations[1]) }
func BenchmarkSnap(b *testing.B)   { benchBoth(b, operations[2]) }

func benchBoth(b *testing.B, op operation) {
	b.Run("ours", func(b *testing.B) { benchOne(b, op, op.ours) })
	b.Run("official", func(b *testing.B) { benchOne(b, op, op.official) })
}

func benchOne(b *testing.B, op operation, call func(context.Context, *pair, string) error) {
	p := newPair(b)
	ctx := context.Background()
	ids := orderIDs{prefix: "bench-" + op.name + "-"}
	b.ReportAllocs()
	for b.Loop() {
		orderID := p.statusOrder
		if op.fresh {
			orderID = ids.next()
		}
		if err := call(ctx, p, orderID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInterleaved makes one call with each client per iteration
// against one simulator, alternating which goes first, and reports each
// client's time per call and their ratio. Load on a shared machine then
// falls on both alike. B/op and allocs/op are those of the pair.
func BenchmarkInterleaved(b *testing.B) {
	for _, op := range operations {
		b.Run(op.name, func(b *testing.B) {
			p := newPair(b)
			ctx := context.Background()
			ids := orderIDs{prefix: "bench-" + op.name + "-"}
			var ours, official time.Duration
			timed := func(call func(context.Context, *pair, string) error, total *time.Duration) {
				orderID := p.statusOrder
				if op.fresh {
					orderID = ids.next()
				}
				start := time.Now()
				if err := call(ctx, p, orderID); err != nil {
					b.Fatal(err)
				}
				*total += time.Since(start)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if n%2 == 0 {
					timed(op.ours, &ours)
					timed(op.official, &official)
				} else {
					timed(op.official, &official)
					timed(op.ours, &ours)
				}
				n++
			}
			b.ReportMetric(float64(ours.Nanoseconds())/float64(n), "ours-ns/call")
			b.ReportMetric(float64(official.Nanoseconds())/float64(n), "official-ns/call")
			b.ReportMetric(float64(ours)/float64(official), "ours/official")
		})
	}
}
