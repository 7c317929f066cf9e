// Command paybench measures the module against a plain-SQL baseline doing
// the same durable work, over loopback HTTP, on SQLite and PostgreSQL, in
// one invocation; with -soak it instead runs minutes of mixed traffic with
// injected faults and checks the invariants at the end.
//
// Benchmark: for each database, three scenarios — a settlement
// notification applied, the same notification again (a duplicate), and a
// BCA virtual account charge against the Midtrans simulator — are sent by
// -senders concurrent clients to the module (Service, notify handler and
// routes mounted with adapters/nethttp) and to the baseline (one handler
// doing the work in plain SQL on the module's own tables: signature, inbox
// insert ON CONFLICT DO NOTHING, payment row locked, compare-and-set,
// audit row, outbox rows, one transaction; a charge is a row written, the
// simulator called, the answer written). Notifications are applied without
// the confirming status call on both sides (notify.WithoutConfirmation).
// Module and baseline alternate (A B A B) to spread the noise of a shared
// machine. Each is bounded by -n requests and -duration per measured run.
//
//	go run ./cmd/paybench -n 3000
//	go run ./cmd/paybench -db sqlite -soak 2m
//
// It listens on 127.0.0.1 only. On PostgreSQL it works in a fresh schema,
// dropped at exit.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nusapay/payments/internal/dbtest"
)

type config struct {
	dbs      []string
	pgDSN    string
	pgDriver string
	n        int
	duration time.Duration
	senders  int
	rounds   int
	soak     time.Duration
	json     bool
	cpuProf  string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "paybench:", err)
		os.Exit(1)
	}
}

func parse(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("paybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config{}
	dbs := fs.String("db", "", "databases, comma-separated: sqlite,postgres (default: both when PostgreSQL is reachable, else sqlite)")
	fs.StringVar(&cfg.pgDSN, "pg", dbtest.DefaultPostgresDSN, "PostgreSQL DSN; the run uses a fresh schema, dropped at exit (a soak uses a throwaway server of its own instead, where it can run one)")
	fs.StringVar(&cfg.pgDriver, "pgdriver", "pgdriver", "PostgreSQL driver: pgdriver (Bun's), or pgx[:mode], mode one of pgx's query exec modes (cache_statement, cache_describe, describe_exec, exec, simple_protocol)")
	fs.IntVar(&cfg.n, "n", 2000, "requests per side and scenario (split over the rounds)")
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "time bound of one measured run (one side, one round)")
	fs.IntVar(&cfg.senders, "senders", 16, "concurrent senders")
	fs.IntVar(&cfg.rounds, "rounds", 2, "rounds of module then baseline per scenario")
	fs.DurationVar(&cfg.soak, "soak", 0, "run the soak test for this long instead of the benchmark (0: off)")
	fs.BoolVar(&cfg.json, "json", false, "print JSON")
	fs.StringVar(&cfg.cpuProf, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if cfg.n <= 0 || cfg.senders <= 0 || cfg.rounds <= 0 || cfg.duration <= 0 || cfg.soak < 0 {
		return nil, errors.New("-n, -senders, -rounds and -duration must be positive, -soak not negative")
	}
	if !slices.Contains(dbtest.PostgresDrivers(), cfg.pgDriver) {
		return nil, fmt.Errorf("-pgdriver: unknown driver %q (%s)", cfg.pgDriver, strings.Join(dbtest.PostgresDrivers(), ", "))
	}
	if *dbs != "" {
		for _, k := range strings.Split(*dbs, ",") {
			if k = strings.TrimSpace(k); k != "sqlite" && k != "postgres" {
				return nil, fmt.Errorf("-db: unknown database %q (sqlite, postgres)", k)
			}
			cfg.dbs = append(cfg.dbs, strings.TrimSpace(k))
		}
	}
	return cfg, nil
}

// report is the whole output, as -json prints it.
type report struct {
	Started  time.Time     `json:"started"`
	GoOS     string        `json:"goos"`
	CPUs     int           `json:"cpus"`
	Senders  int           `json:"senders"`
	N        int           `json:"n"`
	Rounds   int           `json:"rounds"`
	PGDriver string        `json:"pg_driver"`
	Notes    []string      `json:"notes"`
	Results  []*comparison `json:"results,omitempty"`
	Soak     []*soakReport `json:"soak,omitempty"`
	Duration float64       `json:"seconds"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parse(args, stderr)
	if err != nil {
		return err
	}
	if len(cfg.dbs) == 0 {
		cfg.dbs = []string{"sqlite"}
		if err := postgresReachable(ctx, cfg.pgDSN); err == nil {
			cfg.dbs = append(cfg.dbs, "postgres")
		} else {
			fmt.Fprintf(stderr, "paybench: PostgreSQL not reachable at %s, SQLite only: %v\n", redactDSN(cfg.pgDSN), err)
		}
	}
	if cfg.cpuProf != "" {
		f, err := os.Create(cfg.cpuProf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep := &report{Started: time.Now().UTC(), GoOS: runtime.GOOS + "/" + runtime.GOARCH, CPUs: runtime.NumCPU(),
		Senders: cfg.senders, N: cfg.n, Rounds: cfg.rounds, PGDriver: cfg.pgDriver}
	for _, kind := range cfg.dbs {
		if err := runDatabase(ctx, cfg, kind, rep); err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
	}
	rep.Duration = time.Since(rep.Started).Seconds()
	if cfg.soak > 0 {
		rep.Notes = soakNotes()
	} else {
		rep.Notes = benchNotes()
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(stdout, rep)
	if cfg.soak > 0 {
		for _, s := range rep.Soak {
			if len(s.Violations) > 0 {
				return fmt.Errorf("soak on %s: %d invariant violations", s.DB, len(s.Violations))
			}
		}
	}
	return nil
}

func runDatabase(ctx context.Context, cfg *config, kind string, rep *report) error {
	d, err := openRunDatabase(ctx, cfg, kind)
	if err != nil {
		return err
	}
	defer d.close()
	if cfg.soak > 0 {
		s, err := soak(ctx, cfg, d)
		if s != nil {
			rep.Soak = append(rep.Soak, s)
		}
		return err
	}
	res, err := benchDatabase(ctx, cfg, d)
	rep.Results = append(rep.Results, res...)
	return err
}

func benchNotes() []string {
	return []string{
		"loopback HTTP; notifications applied without the confirming GET status on both sides (notify.WithoutConfirmation)",
		"module: Service + notify handler + adapters/nethttp routes; baseline: one handler, plain SQL on the module's tables, one transaction per notification",
		"charges: the module validates, writes the payment with its created event, calls the simulator, applies the answer (row, audit, outbox); the baseline writes the row, calls the simulator, writes the answer",
		"cpu/op: this process's CPU (senders, servers, simulator; SQLite included) per operation; db cpu/op: the PostgreSQL backends' CPU from /proc",
		"ratio: module / baseline (ops/s below 1 means the module is slower; the others above 1 mean it costs more)",
	}
}

func printReport(w io.Writer, rep *report) {
	if len(rep.Soak) > 0 {
		fmt.Fprintf(w, "paybench soak %s, %s, %d CPUs\n", rep.Started.Format(time.RFC3339), rep.GoOS, rep.CPUs)
	} else {
		fmt.Fprintf(w, "paybench %s, %s, %d CPUs, %d senders, n=%d per side and scenario, %d rounds (module, baseline interleaved), PostgreSQL driver %s\n",
			rep.Started.Format(time.RFC3339), rep.GoOS, rep.CPUs, rep.Senders, rep.N, rep.Rounds, rep.PGDriver)
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "  -", n)
	}
	if len(rep.Results) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "db\tscenario\tside\tops\terrors\tops/s\tp50 ms\tp99 ms\tcpu/op µs\tdb cpu/op µs\tallocs/op\t")
		for _, c := range rep.Results {
			for _, s := range []struct {
				name string
				f    *figures
			}{{"module", c.Module}, {"baseline", c.Baseline}} {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.0f\t%s\t%.0f\t\n", c.DB, c.Scenario, s.name,
					s.f.Ops, s.f.Errors, s.f.OpsPerS, s.f.P50Ms, s.f.P99Ms, s.f.CPUPerOpUs, dbCPU(s.f.DBCPUPerOpUs), s.f.AllocsPerOp)
			}
			r := c.Ratio
			fmt.Fprintf(tw, "%s\t%s\tratio\t\t\t%.2f×\t%.2f×\t%.2f×\t%.2f×\t%s\t%.2f×\t\n", c.DB, c.Scenario,
				r["ops_per_s"], r["p50"], r["p99"], r["cpu_per_op"], ratioOrDash(r, "db_cpu_per_op"), r["allocs_per_op"])
		}
		_ = tw.Flush()
	}
	for _, s := range rep.Soak {
		printSoak(w, s)
	}
	fmt.Fprintf(w, "total %.1f s\n", rep.Duration)
}

func dbCPU(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

func ratioOrDash(r map[string]float64, k string) string {
	if v, ok := r[k]; ok {
		return fmt.Sprintf("%.2f×", v)
	}
	return "-"
}
