package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nusapay/payments/internal/dbtest"
)

// TestMain lets the test binary serve as a replica process: the replicas
// mode starts its own executable, which in a test is this binary.
func TestMain(m *testing.M) {
	if spec, ok := os.LookupEnv(replicaEnv); ok {
		if err := serveReplica(context.Background(), spec, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "paybench replica:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

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

// TestBenchOwnPostgres: with -pg-own the benchmark runs on a throwaway
// PostgreSQL server of its own (where initdb is installed; else on -pg)
// and says so.
func TestBenchOwnPostgres(t *testing.T) {
	dsn := dbtest.RequirePostgres(t)
	rep := runJSON(t, "-db", "postgres", "-pg", dsn, "-pg-own", "-n", "30", "-senders", "4", "-rounds", "1")
	checkBench(t, rep, "postgres", 30)
	if !strings.HasPrefix(rep.PGServer, "a throwaway server of its own") || !strings.Contains(strings.Join(rep.Notes, " "), rep.PGServer) {
		t.Errorf("PostgreSQL ran on %q (notes %q), want a throwaway server of its own", rep.PGServer, rep.Notes)
	}
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

// TestGrowthSQLite grows a SQLite database through two small sizes: every
// operation is measured at both, and every statement it ran is explained
// at the larger.
func TestGrowthSQLite(t *testing.T) {
	rep := runJSON(t, "-db", "sqlite", "-growth", "300,900", "-reps", "20")
	if len(rep.Growth) != 1 {
		t.Fatalf("%d growth reports, want 1", len(rep.Growth))
	}
	g := rep.Growth[0]
	if len(g.Runs) != 2 || g.Runs[0].Payments != 300 || g.Runs[1].Payments != 900 {
		t.Fatalf("sizes %+v, want 300 and 900", g.Runs)
	}
	if g.Runs[1].Rows["nusapay_payments"] <= g.Runs[0].Rows["nusapay_payments"] || g.Runs[1].Rows["nusapay_inbox"] < 800 {
		t.Errorf("rows did not grow: %v then %v", g.Runs[0].Rows, g.Runs[1].Rows)
	}
	explained := map[string]int{}
	for _, p := range g.Plans {
		if p.Plan == "" && !strings.HasPrefix(p.SQL, "INSERT") {
			t.Errorf("%s: no plan for %s", p.Op, p.SQL)
		}
		explained[p.Op]++
	}
	for _, op := range growthOps() {
		for _, s := range g.Runs {
			c := s.Ops[op]
			if c == nil || c.Reps != 20 || c.P50Ms <= 0 || c.P99Ms < c.P50Ms {
				t.Errorf("%s at %d: %+v", op, s.Payments, c)
			}
		}
		if g.Ratios[op]["p50"] <= 0 {
			t.Errorf("%s: ratio %v", op, g.Ratios[op])
		}
		if explained[op] == 0 {
			t.Errorf("%s: no statement explained", op)
		}
	}
	// A sweep runs both passes' branches; a notification its inbox insert,
	// reads, apply and finish.
	if explained[opReconcile] < 5 || explained[opNotification] < 5 {
		t.Errorf("statements explained per operation: %v", explained)
	}
}

// TestReplicasPostgres runs one and two replica processes on PostgreSQL.
func TestReplicasPostgres(t *testing.T) {
	dsn := dbtest.RequirePostgres(t)
	rep := runJSON(t, "-db", "postgres", "-pg", dsn, "-replicas", "1,2", "-n", "40", "-senders", "4", "-rounds", "1")
	if len(rep.Replicas) != 1 || len(rep.Replicas[0].Runs) != 2 {
		t.Fatalf("replica reports: %+v", rep.Replicas)
	}
	var replicaCPU float64
	for i, r := range rep.Replicas[0].Runs {
		if r.Replicas != i+1 || r.Ops != 40 || r.Errors != 0 || r.OpsPerS <= 0 || r.P50Ms <= 0 || r.CoresBusy <= 0 {
			t.Errorf("%d replicas: %+v", i+1, r)
		}
		replicaCPU += r.ReplicaCPUPerOpUs
	}
	if replicaCPU <= 0 {
		t.Error("no CPU measured in the replica processes")
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-db", "mysql"}, {"-pgdriver", "pgx:bogus"}, {"-n", "0"}, {"-senders", "-1"}, {"extra"},
		{"-drain", "-1"}, {"-drain", "10", "-soak", "1s"}, {"-drain-workers", "0"}, {"-drain-workers", "1,x"}, {"-drain-batch", "-5"},
		{"-growth", "1000,100"}, {"-growth", "x"}, {"-growth", "10", "-reps", "0"}, {"-growth", "10", "-replicas", "1"},
		{"-replicas", "1", "-db", "sqlite"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("paybench %s: no error", strings.Join(args, " "))
		}
	}
}

// TestDrainSQLite drains a small backlog on SQLite: every run, on both
// paths and every worker count, delivers every event to the receiver and
// acknowledges it.
func TestDrainSQLite(t *testing.T) {
	rep := runJSON(t, "-db", "sqlite", "-drain", "200", "-drain-workers", "1,3", "-drain-batch", "1,20")
	if len(rep.Drain) != 1 {
		t.Fatalf("%d drain reports, want 1", len(rep.Drain))
	}
	r := rep.Drain[0]
	if r.DB != "sqlite" || r.Events != 200 || len(r.Runs) != 6 {
		t.Fatalf("drain report %+v, want 6 runs of 200 events on sqlite", r)
	}
	for _, run := range r.Runs {
		if run.Delivered != 200 || run.Calls < 200 || run.PerS <= 0 {
			t.Errorf("%s with %d workers: %d delivered, %d receiver calls, %.0f/s; want all 200, at least 200 calls",
				run.Path, run.Workers, run.Delivered, run.Calls, run.PerS)
		}
	}
}
