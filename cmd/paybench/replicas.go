package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/notify"
	"github.com/nusapay/payments/store"
)

// replicaEnv, set in a child's environment, makes the program (or the
// package's test binary) serve as one webhook replica instead of running:
// its value is the replica's replicaSpec as JSON.
const replicaEnv = "PAYBENCH_REPLICA"

// replicaSpec is what a replica process needs: the run's database (its
// schema and application name in the DSN), its own pool size, and the
// Midtrans keys and simulator URL its Service is built with.
type replicaSpec struct {
	DSN         string `json:"dsn"`
	Conns       int    `json:"conns"`
	ServerKey   string `json:"server_key"`
	ClientKey   string `json:"client_key"`
	MidtransURL string `json:"midtrans_url"`
}

// serveReplica is a replica process: the module as an application mounts
// it (its own Service, *bun.DB pool and loopback HTTP server, notifications
// applied unconfirmed), its URL written as one line to stdout, served until
// stdin ends (the parent closes it, or exits).
func serveReplica(ctx context.Context, spec string, stdin io.Reader, stdout io.Writer) error {
	var s replicaSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		return fmt.Errorf("replica spec: %w", err)
	}
	db, err := store.OpenPostgres(s.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(s.Conns)
	db.SetMaxIdleConns(s.Conns)
	client, err := midtransClient(s.ServerKey, s.ClientKey, s.MidtransURL)
	if err != nil {
		return err
	}
	mod, err := newModuleStack(db, client, nil, []notify.Option{notify.WithoutConfirmation()})
	if err != nil {
		return err
	}
	defer mod.srv.close()
	if _, err := fmt.Fprintln(stdout, mod.srv.url); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return nil
}

// replicaProc is a running replica process.
type replicaProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   string
}

// startReplica starts this program as a replica and waits for its URL.
func startReplica(ctx context.Context, exe string, spec replicaSpec, stderr io.Writer) (*replicaProc, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), replicaEnv+"="+string(b))
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start replica: %w", err)
	}
	p := &replicaProc{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		p.stop()
		return nil, fmt.Errorf("replica %d did not start: %q %v", cmd.Process.Pid, line, err)
	}
	p.url = strings.TrimSpace(line)
	return p, nil
}

// stop ends the replica: stdin closed, then killed if it has not exited
// within 10 seconds.
func (p *replicaProc) stop() {
	_ = p.stdin.Close()
	exited := make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		close(exited)
	}()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-exited
	}
}

// replicaRun is the measurement of one number of replicas, summed over
// the rounds.
type replicaRun struct {
	Replicas int `json:"replicas"`
	figures
	// ReplicaCPUPerOpUs is the replica processes' CPU per notification
	// (CPUPerOpUs is this process's: the senders only).
	ReplicaCPUPerOpUs float64 `json:"replica_cpu_per_op_us"`
	// CoresBusy is the CPU of senders, replicas and PostgreSQL backends
	// together per second of the run, in cores.
	CoresBusy float64 `json:"cores_busy"`

	replicaCPU time.Duration
}

// replicaReport is the replicas mode's result.
type replicaReport struct {
	DB string `json:"db"`
	// ConnsPerReplica is each replica's pool size.
	ConnsPerReplica int           `json:"conns_per_replica"`
	Runs            []*replicaRun `json:"runs"`
}

func replicaNotes() []string {
	return []string{
		"each replica is a child process of this program (the same binary): its own Service, *bun.DB pool and loopback HTTP server, on this run's PostgreSQL schema; no hook delivery or reconciler runs",
		"the senders (goroutines of this process) are spread round-robin over the replicas; each posts settlement notifications for pending payments, applied unconfirmed (notify.WithoutConfirmation)",
		"replica counts run in turn within each round (1, 2, 4, 1, 2, 4 …), the replicas started once and idle when not used",
		"cpu/op: this process (the senders); replica cpu/op: the replica processes; db cpu/op: the PostgreSQL backends, from /proc; cores busy: all three per wall second",
	}
}

// replicas runs cfg.replicas replica counts against d, which must be
// PostgreSQL.
func replicas(ctx context.Context, cfg *config, d *database, stderr io.Writer) (*replicaReport, error) {
	if d.kind != "postgres" {
		return nil, errors.New("-replicas runs on PostgreSQL only")
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	sim := midtranstest.NewServer(midtranstest.Config{})
	defer sim.Close()
	rep := &replicaReport{DB: d.kind, ConnsPerReplica: cfg.senders}
	spec := replicaSpec{DSN: d.dsn, Conns: rep.ConnsPerReplica, ServerKey: sim.ServerKey(), ClientKey: sim.ClientKey(), MidtransURL: sim.URL()}
	var procs []*replicaProc
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	// The replicas' standard errors are copied, each by a goroutine of its
	// own, into one writer: one at a time.
	stderr = &lockedWriter{w: stderr}
	for range slices.Max(cfg.replicas) {
		p, err := startReplica(ctx, exe, spec, stderr)
		if err != nil {
			return nil, err
		}
		procs = append(procs, p)
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.senders * 2, MaxIdleConns: cfg.senders * 4}, Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	runs := map[int]*replicaRun{}
	for _, n := range cfg.replicas {
		runs[n] = &replicaRun{Replicas: n}
		rep.Runs = append(rep.Runs, runs[n])
	}
	per := max(cfg.n/cfg.rounds, 1)
	for round := range cfg.rounds {
		for _, n := range cfg.replicas {
			r := runs[n]
			ids := make([]string, per)
			for i := range ids {
				ids[i] = fmt.Sprintf("r%d-%d-%06d", n, round, i)
			}
			bodies, err := seedPending(ctx, d.db, sim.ServerKey(), ids)
			if err != nil {
				return rep, err
			}
			urls := make([]string, n)
			for i := range urls {
				urls[i] = procs[i].url + "/payments/notifications"
			}
			before, ok := replicasCPU(procs)
			load(ctx, d, hc, urls, bodies, cfg.senders, cfg.duration, http.StatusOK, &r.figures)
			after, ok2 := replicasCPU(procs)
			if ok && ok2 {
				r.replicaCPU += after - before
			}
			if err := ctx.Err(); err != nil {
				return rep, err
			}
		}
	}
	for _, r := range rep.Runs {
		r.finish()
		if r.Ops > 0 {
			r.ReplicaCPUPerOpUs = float64(r.replicaCPU.Microseconds()) / float64(r.Ops)
			r.CoresBusy = (r.cpu + r.replicaCPU + r.dbCPU).Seconds() / r.Seconds
		}
	}
	return rep, nil
}

// replicasCPU sums the replica processes' CPU time.
func replicasCPU(procs []*replicaProc) (time.Duration, bool) {
	var sum time.Duration
	for _, p := range procs {
		t, err := procCPU(p.cmd.Process.Pid)
		if err != nil {
			return 0, false
		}
		sum += t
	}
	return sum, true
}

func printReplicas(w io.Writer, r *replicaReport) {
	fmt.Fprintf(w, "replicas on %s, pool of %d connections per replica\n", r.DB, r.ConnsPerReplica)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "replicas\tops\terrors\tops/s\tp50 ms\tp99 ms\tsenders cpu/op µs\treplicas cpu/op µs\tdb cpu/op µs\tcores busy\t")
	for _, x := range r.Runs {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.0f\t%.0f\t%s\t%.2f\t\n", x.Replicas, x.Ops, x.Errors, x.OpsPerS, x.P50Ms, x.P99Ms,
			x.CPUPerOpUs, x.ReplicaCPUPerOpUs, dbCPU(x.DBCPUPerOpUs), x.CoresBusy)
	}
	_ = tw.Flush()
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
