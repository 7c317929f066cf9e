package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nusapay/payments/internal/dbtest"
)

// runJSON runs the program in process with args and -json, and decodes
// its report.
func runJSON(t *testing.T, args ...string) *report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	if err := run(ctx, append(args, "-json"), &out, &errOut); err != nil {
		t.Fatalf("paybench %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("decode report: %v\n%s", err, out.String())
	}
	return &rep
}

func checkBench(t *testing.T, rep *report, db string, n int) {
	t.Helper()
	byScenario := map[string]*comparison{}
	for _, c := range rep.Results {
		if c.DB != db {
			t.Errorf("result for %s in a %s run", c.DB, db)
		}
		byScenario[c.Scenario] = c
	}
	for _, sc := range scenarioNames() {
		c := byScenario[sc]
		if c == nil {
			t.Errorf("%s: scenario %s missing", db, sc)
			continue
		}
		for side, f := range map[string]*figures{"module": c.Module, "baseline": c.Baseline} {
			if f.Ops != n || f.Errors != 0 {
				t.Errorf("%s %s %s: %d ops, %d errors; want %d ops, none failed", db, sc, side, f.Ops, f.Errors, n)
			}
			if f.OpsPerS <= 0 || f.P50Ms <= 0 || f.P99Ms < f.P50Ms || f.CPUPerOpUs <= 0 || f.AllocsPerOp <= 0 {
				t.Errorf("%s %s %s: figures not all positive: %+v", db, sc, side, f)
			}
		}
		for _, k := range []string{"ops_per_s", "p50", "p99", "cpu_per_op", "allocs_per_op"} {
			if c.Ratio[k] <= 0 {
				t.Errorf("%s %s: ratio %s = %v, want positive", db, sc, k, c.Ratio[k])
			}
		}
	}
}

func TestBenchSQLite(t *testing.T) {
	rep := runJSON(t, "-db", "sqlite", "-n", "50", "-senders", "4")
	checkBench(t, rep, "sqlite", 50)
	if len(rep.Notes) == 0 || !strings.Contains(strings.Join(rep.Notes, " "), "WithoutConfirmation") {
		t.Errorf("notes do not say notifications run without confirmation: %q", rep.Notes)
	}
}

func TestBenchPostgres(t *testing.T) {
	dsn := dbtest.RequirePostgres(t)
	rep := runJSON(t, "-db", "postgres", "-pg", dsn, "-n", "50", "-senders", "4")
	checkBench(t, rep, "postgres", 50)
}

// TestSoakSQLite runs a 20-second soak: it must do every kind of action,
// inject every fault it can on SQLite, and end with every invariant
// holding.
func TestSoakSQLite(t *testing.T) {
	rep := runJSON(t, "-db", "sqlite", "-soak", "20s")
	if len(rep.Soak) != 1 {
		t.Fatalf("%d soak reports, want 1", len(rep.Soak))
	}
	s := rep.Soak[0]
	for _, a := range []string{"charge", "pay", "refund", "notification_resent", "fault_simulator_error", "fault_dropped_answer"} {
		if s.Actions[a] == 0 {
			t.Errorf("soak did no %s: %v", a, s.Actions)
		}
	}
	if s.ReceiverFailures == 0 || s.PaidDeliveries == 0 || s.Notifications == 0 {
		t.Errorf("soak: %d receiver failures, %d paid deliveries, %d notifications; want all positive", s.ReceiverFailures, s.PaidDeliveries, s.Notifications)
	}
	if len(s.Invariants) == 0 {
		t.Error("no invariants checked")
	}
	for _, v := range s.Violations {
		t.Error("violation:", v)
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-db", "mysql"}, {"-pgdriver", "pgx:bogus"}, {"-n", "0"}, {"-senders", "-1"}, {"extra"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("paybench %s: no error", strings.Join(args, " "))
		}
	}
}
