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
//	go run ./cmd/paybench -drain 20000 -duration 15s
//
// Growth (-growth 1000,10000,100000,1000000): for each size in turn, grow
// the module's tables in place to that many payments with bulk SQL, then
// measure one operation at a time (-reps repetitions): a status lookup
// through the store and through the GET route, a reconciler sweep, an
// outbox claim and one notification applied; print each operation's
// median and p99 per size, the largest size over the smallest, and the
// plans of every statement at the largest size.
//
// Replicas (-replicas 1,2,4, PostgreSQL): run that many webhook replicas
// of the module as child processes of this program on one database, the
// -senders spread round-robin over them, and report throughput, latency
// and whose CPU each notification costs.
//
//	go run ./cmd/paybench -growth 1000,10000,100000,1000000 -db postgres
//	go run ./cmd/paybench -replicas 1,2,4 -db postgres -n 6000
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
	// pgOwn runs PostgreSQL on a throwaway server of the program's own.
	pgOwn   bool
	json    bool
	cpuProf string
	// drain, when positive, runs the hook delivery scenario (drain.go)
	// with a backlog of this many events, for each of drainWorkers, with
	// Service.Run claiming each of drainBatches.
	drain        int
	drainWorkers []int
	drainBatches []int
	growth       []int
	reps         int
	replicas     []int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	var err error
	if spec, ok := os.LookupEnv(replicaEnv); ok {
		err = serveReplica(ctx, spec, os.Stdin, os.Stdout)
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
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
	fs.BoolVar(&cfg.pgOwn, "pg-own", false, "run PostgreSQL on a throwaway server of this program's own (initdb defaults, fsync on) instead of -pg: no other tenants in the figures")
	fs.DurationVar(&cfg.soak, "soak", 0, "run the soak test for this long instead of the benchmark (0: off)")
	fs.BoolVar(&cfg.json, "json", false, "print JSON")
	fs.StringVar(&cfg.cpuProf, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.IntVar(&cfg.drain, "drain", 0, "measure hook delivery draining a backlog of this many events instead of the benchmark (0: off)")
	drainWorkers := fs.String("drain-workers", "1,4,8", "delivery worker counts the -drain scenario runs with")
	drainBatches := fs.String("drain-batch", "20,100,500", "delivery batch sizes the -drain scenario runs Service.Run with")
	growth := fs.String("growth", "", "measure operations as the tables grow through these payment counts, comma-separated (e.g. 1000,10000,100000,1000000) instead of the benchmark")
	fs.IntVar(&cfg.reps, "reps", 300, "-growth: measured repetitions per operation and size")
	replicas := fs.String("replicas", "", "run these numbers of webhook replicas in turn, comma-separated (e.g. 1,2,4; PostgreSQL only) instead of the benchmark")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var err error
	if *growth != "" {
		if cfg.growth, err = parseSizes("-growth", *growth); err != nil {
			return nil, err
		}
	}
	if *replicas != "" {
		if cfg.replicas, err = parseSizes("-replicas", *replicas); err != nil {
			return nil, err
		}
	}
	modes := 0
	for _, on := range []bool{cfg.soak > 0, len(cfg.growth) > 0, len(cfg.replicas) > 0, cfg.drain > 0} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return nil, errors.New("-soak, -growth, -replicas and -drain are separate runs: choose one")
	}
	if cfg.reps <= 0 {
		return nil, errors.New("-reps must be positive")
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if cfg.n <= 0 || cfg.senders <= 0 || cfg.rounds <= 0 || cfg.duration <= 0 || cfg.soak < 0 {
		return nil, errors.New("-n, -senders, -rounds and -duration must be positive, -soak not negative")
	}
	if cfg.drain < 0 {
		return nil, errors.New("-drain must not be negative")
	}
	if cfg.drainWorkers, err = parseCounts("drain-workers", *drainWorkers); err != nil {
		return nil, err
	}
	if cfg.drainBatches, err = parseCounts("drain-batch", *drainBatches); err != nil {
		return nil, err
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
	Started  time.Time        `json:"started"`
	GoOS     string           `json:"goos"`
	CPUs     int              `json:"cpus"`
	Senders  int              `json:"senders"`
	N        int              `json:"n"`
	Rounds   int              `json:"rounds"`
	PGDriver string           `json:"pg_driver"`
	PGServer string           `json:"pg_server,omitempty"`
	Notes    []string         `json:"notes"`
	Results  []*comparison    `json:"results,omitempty"`
	Soak     []*soakReport    `json:"soak,omitempty"`
	Growth   []*growthReport  `json:"growth,omitempty"`
	Replicas []*replicaReport `json:"replicas,omitempty"`
	Drain    []*drainReport   `json:"drain,omitempty"`
	Duration float64          `json:"seconds"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parse(args, stderr)
	if err != nil {
		return err
	}
	if len(cfg.dbs) == 0 && len(cfg.replicas) > 0 {
		cfg.dbs = []string{"postgres"}
	}
	if len(cfg.replicas) > 0 && slices.Contains(cfg.dbs, "sqlite") {
		return errors.New("-replicas runs on PostgreSQL only (-db postgres)")
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
		if err := runDatabase(ctx, cfg, kind, rep, stderr); err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
	}
	rep.Duration = time.Since(rep.Started).Seconds()
	switch {
	case cfg.drain > 0:
		rep.Notes = drainNotes()
	case cfg.soak > 0:
		rep.Notes = soakNotes()
	case len(cfg.growth) > 0:
		rep.Notes = growthNotes()
	case len(cfg.replicas) > 0:
		rep.Notes = replicaNotes()
	default:
		rep.Notes = benchNotes()
	}
	if rep.PGServer != "" && cfg.soak == 0 {
		rep.Notes = append(rep.Notes, "PostgreSQL: "+rep.PGServer)
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

func runDatabase(ctx context.Context, cfg *config, kind string, rep *report, stderr io.Writer) error {
	d, err := openRunDatabase(ctx, cfg, kind)
	if err != nil {
		return err
	}
	if kind == "postgres" {
		rep.PGServer = d.where
	}
	defer d.close()
	switch {
	case len(cfg.growth) > 0:
		g, err := growth(ctx, cfg, d, stderr)
		if g != nil {
			rep.Growth = append(rep.Growth, g)
		}
		return err
	case len(cfg.replicas) > 0:
		r, err := replicas(ctx, cfg, d, stderr)
		if r != nil {
			rep.Replicas = append(rep.Replicas, r)
		}
		return err
	}
	if cfg.soak > 0 {
		s, err := soak(ctx, cfg, d)
		if s != nil {
			rep.Soak = append(rep.Soak, s)
		}
		return err
	}
	if cfg.drain > 0 {
		r, err := drainBacklog(ctx, cfg, d)
		rep.Drain = append(rep.Drain, r)
		return err
	}
	res, err := benchDatabase(ctx, cfg, d)
	rep.Results = append(rep.Results, res...)
	return err
}

func benchNotes() []string {
	return []string{
		"loopback HTTP; notifications applied without the confirming GET status on both sides (notify.WithoutConfirmation)",
		"module: Service + notify handler + adapters/nethttp routes; baseline: one handler, plain SQL on the module's tables, one transaction per notification (inbox row, payment locked and set, audit row, paid and status-changed events carrying the payment)",
		"charges: both write the payment with its audit row and created event, call the simulator through midtrans.Client, and write the answer with its audit row and events (two transactions or statements); the module also validates and plans",
		"cpu/op: this process's CPU (senders, servers, simulator; SQLite included) per operation; db cpu/op: the PostgreSQL backends' CPU from /proc",
		"ratio: module / baseline (ops/s below 1 means the module is slower; the others above 1 mean it costs more)",
	}
}

func printReport(w io.Writer, rep *report) {
	switch {
	case len(rep.Drain) > 0:
		fmt.Fprintf(w, "paybench drain %s, %s, %d CPUs\n", rep.Started.Format(time.RFC3339), rep.GoOS, rep.CPUs)
	case len(rep.Growth) > 0 || len(rep.Replicas) > 0:
		fmt.Fprintf(w, "paybench %s, %s, %d CPUs\n", rep.Started.Format(time.RFC3339), rep.GoOS, rep.CPUs)
	case len(rep.Soak) > 0:
		fmt.Fprintf(w, "paybench soak %s, %s, %d CPUs\n", rep.Started.Format(time.RFC3339), rep.GoOS, rep.CPUs)
	default:
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
	for _, r := range rep.Drain {
		printDrain(w, r)
	}
	for _, g := range rep.Growth {
		printGrowth(w, g)
	}
	for _, r := range rep.Replicas {
		printReplicas(w, r)
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
