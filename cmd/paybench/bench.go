package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/notify"
)

// Scenarios, in the order they run.
const (
	scenarioApplied   = "applied_notification"
	scenarioDuplicate = "duplicate_notification"
	scenarioCharge    = "charge"
)

// scenarioNames lists the scenarios in the order they run.
func scenarioNames() []string { return []string{scenarioApplied, scenarioDuplicate, scenarioCharge} }

// figures are one side's measurements of one scenario, summed over its
// rounds.
type figures struct {
	Ops     int     `json:"ops"`
	Errors  int     `json:"errors"`
	Seconds float64 `json:"seconds"`
	OpsPerS float64 `json:"ops_per_s"`
	P50Ms   float64 `json:"p50_ms"`
	P99Ms   float64 `json:"p99_ms"`
	// CPUPerOpUs is this process's CPU (user+system) per operation: the
	// senders, the server, the simulator and, for SQLite, the database.
	CPUPerOpUs float64 `json:"cpu_per_op_us"`
	// DBCPUPerOpUs is the PostgreSQL backends' CPU per operation; 0 when
	// not measured (SQLite, or /proc unreadable).
	DBCPUPerOpUs float64 `json:"db_cpu_per_op_us,omitempty"`
	AllocsPerOp  float64 `json:"allocs_per_op"`

	latencies  []time.Duration
	cpu, dbCPU time.Duration
	dbCPUOK    bool
	mallocs    uint64
}

// comparison is one scenario on one database: module, baseline and the
// ratios module/baseline.
type comparison struct {
	DB       string             `json:"db"`
	Scenario string             `json:"scenario"`
	Module   *figures           `json:"module"`
	Baseline *figures           `json:"baseline"`
	Ratio    map[string]float64 `json:"ratio_module_to_baseline"`
}

func (f *figures) finish() {
	if f.Ops == 0 {
		return
	}
	slices.Sort(f.latencies)
	pct := func(p float64) float64 {
		i := int(p * float64(len(f.latencies)-1))
		return float64(f.latencies[i].Microseconds()) / 1000
	}
	f.OpsPerS = float64(f.Ops) / f.Seconds
	f.P50Ms, f.P99Ms = pct(0.50), pct(0.99)
	f.CPUPerOpUs = float64(f.cpu.Microseconds()) / float64(f.Ops)
	if f.dbCPUOK {
		f.DBCPUPerOpUs = float64(f.dbCPU.Microseconds()) / float64(f.Ops)
	}
	f.AllocsPerOp = float64(f.mallocs) / float64(f.Ops)
}

func (c *comparison) finish() {
	c.Module.finish()
	c.Baseline.finish()
	m, b := c.Module, c.Baseline
	c.Ratio = map[string]float64{}
	ratio := func(name string, x, y float64) {
		if y > 0 {
			c.Ratio[name] = x / y
		}
	}
	ratio("ops_per_s", m.OpsPerS, b.OpsPerS)
	ratio("p50", m.P50Ms, b.P50Ms)
	ratio("p99", m.P99Ms, b.P99Ms)
	ratio("cpu_per_op", m.CPUPerOpUs, b.CPUPerOpUs)
	ratio("db_cpu_per_op", m.DBCPUPerOpUs, b.DBCPUPerOpUs)
	ratio("allocs_per_op", m.AllocsPerOp, b.AllocsPerOp)
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// load posts bodies from senders goroutines until all are sent or limit
// passes, and adds what it measured to f. Sender k posts to
// urls[k%len(urls)] (several servers share the senders round-robin). It
// returns how many bodies were sent (the first sent ones: later bodies are
// never taken before earlier ones).
func load(ctx context.Context, d *database, hc *http.Client, urls []string, bodies [][]byte, senders int, limit time.Duration, want int, f *figures) int {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	dbBefore, dbOK := d.backendCPU(ctx)
	cpu := processCPU()
	start := time.Now()
	stop := start.Add(limit)
	var next atomic.Int64
	var errs atomic.Int64
	lat := make([]time.Duration, len(bodies))
	var wg sync.WaitGroup
	for k := range senders {
		url := urls[k%len(urls)]
		wg.Go(func() {
			for time.Now().Before(stop) && ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					return
				}
				t0 := time.Now()
				if !post(ctx, hc, url, bodies[i], want) {
					errs.Add(1)
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	f.cpu += processCPU() - cpu
	if dbOK {
		dbAfter, ok := d.backendCPU(ctx)
		f.dbCPU += cpuDelta(dbBefore, dbAfter)
		f.dbCPUOK = ok && (f.Ops == 0 || f.dbCPUOK)
	}
	runtime.ReadMemStats(&ms)
	f.mallocs += ms.Mallocs - mallocs
	sent := min(int(next.Load()), len(bodies))
	f.Ops += sent
	f.Errors += int(errs.Load())
	f.Seconds += elapsed.Seconds()
	f.latencies = append(f.latencies, lat[:sent]...)
	return sent
}

func post(ctx context.Context, hc *http.Client, url string, body []byte, want int) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode == want
}

// benchDatabase runs every scenario on d: module and baseline interleaved,
// rounds times each, n requests per side and scenario split over the
// rounds, each measured run bounded by limit.
func benchDatabase(ctx context.Context, cfg *config, d *database) ([]*comparison, error) {
	sim := midtranstest.NewServer(midtranstest.Config{})
	defer sim.Close()
	client, err := newClient(sim)
	if err != nil {
		return nil, err
	}
	mod, err := newModuleStack(d.db, client, nil, []notify.Option{notify.WithoutConfirmation()})
	if err != nil {
		return nil, err
	}
	defer mod.srv.close()
	base := newBaseline(d.db.DB, d.kind == "postgres", sim.ServerKey(), client)
	baseSrv, err := serve(base.handler())
	if err != nil {
		return nil, err
	}
	defer baseSrv.close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.senders * 2, MaxIdleConns: cfg.senders * 4}, Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()

	type side struct {
		name, notifyURL, chargeURL string
	}
	sides := []side{
		{"module", mod.srv.url + "/payments/notifications", mod.srv.url + "/payments/charges"},
		{"baseline", baseSrv.url + "/notifications", baseSrv.url + "/charges"},
	}
	per := max(cfg.n/cfg.rounds, 1)
	out := make([]*comparison, 0, len(scenarioNames()))
	sent := map[string][][]byte{} // applied notifications, by side, for the duplicates
	for _, sc := range scenarioNames() {
		c := &comparison{DB: d.kind, Scenario: sc, Module: &figures{}, Baseline: &figures{}}
		for round := range cfg.rounds {
			for _, s := range sides {
				f := c.Module
				if s.name == "baseline" {
					f = c.Baseline
				}
				switch sc {
				case scenarioApplied:
					ids := make([]string, per)
					for i := range ids {
						ids[i] = fmt.Sprintf("%s-n%d-%06d", s.name, round, i)
					}
					bodies, err := seedPending(ctx, d.db, sim.ServerKey(), ids)
					if err != nil {
						return nil, err
					}
					k := load(ctx, d, hc, []string{s.notifyURL}, bodies, cfg.senders, cfg.duration, http.StatusOK, f)
					sent[s.name] = append(sent[s.name], bodies[:k]...)
				case scenarioDuplicate:
					all := sent[s.name]
					lo, hi := round*len(all)/cfg.rounds, (round+1)*len(all)/cfg.rounds
					load(ctx, d, hc, []string{s.notifyURL}, all[lo:hi], cfg.senders, cfg.duration, http.StatusOK, f)
				case scenarioCharge:
					bodies := make([][]byte, per)
					for i := range bodies {
						bodies[i] = fmt.Appendf(nil, `{"order_ref":"%s-c%d-%06d","method":"bca_va"}`, s.name, round, i)
					}
					load(ctx, d, hc, []string{s.chargeURL}, bodies, cfg.senders, cfg.duration, http.StatusCreated, f)
				}
			}
		}
		c.finish()
		out = append(out, c)
		if err := ctx.Err(); err != nil {
			return out, err
		}
	}
	return out, nil
}
