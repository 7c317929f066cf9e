package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

// database is one migrated database for a run, with what closes it.
type database struct {
	kind string // "sqlite" or "postgres"
	db   *bun.DB
	// appName tags this run's PostgreSQL connections (application_name),
	// so their backends can be found for CPU accounting and fault
	// injection without touching anyone else's.
	appName string
	// dsn opens this run's PostgreSQL schema as this run's application
	// (search_path and application_name set), for another process.
	dsn string
	// server is the throwaway PostgreSQL server the run has to itself, to
	// restart mid-run; nil on SQLite and on a shared server.
	server *dbtest.ThrowawayServer
	// where says which server a PostgreSQL run works on, for the report.
	where string
	close func()
}

// openRunDatabase opens the database a run of kind works in. A soak on
// PostgreSQL, and any run with -pg-own, gets a throwaway server of its own
// (initdb in a temporary directory, on a free port): a soak to stop and
// start it mid-run without touching anyone else's, a benchmark to measure
// without other tenants of a shared server. Where this machine cannot run
// one, it falls back to the server at cfg.pgDSN (a soak without restarts),
// and says so in where.
func openRunDatabase(ctx context.Context, cfg *config, kind string) (*database, error) {
	conns := max(cfg.senders, 10)
	if kind != "postgres" || (cfg.soak == 0 && !cfg.pgOwn) {
		return openDatabase(ctx, kind, cfg.pgDSN, cfg.pgDriver, conns)
	}
	// fsync on, as on a production server (and the shared one): commits
	// cost what they would there.
	srv, err := dbtest.StartThrowaway(ctx, "fsync=on")
	if errors.Is(err, dbtest.ErrNoThrowaway) {
		d, err2 := openDatabase(ctx, kind, cfg.pgDSN, cfg.pgDriver, conns)
		if d != nil {
			d.where = fmt.Sprintf("the server at %s, no server of its own (%v)", redactDSN(cfg.pgDSN), err)
		}
		return d, err2
	}
	if err != nil {
		return nil, err
	}
	d, err := openDatabase(ctx, kind, srv.DSN(), cfg.pgDriver, conns)
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	d.server, d.where = srv, "a throwaway server of its own (initdb defaults, fsync on) at "+srv.DSN()
	closeDB := d.close
	d.close = func() { closeDB(); _ = srv.Close() }
	return d, nil
}

// openDatabase opens a fresh, migrated database of kind: a SQLite file in a
// new temporary directory, or a new schema on the PostgreSQL server at dsn,
// dropped by close, opened with the PostgreSQL driver named by pgDriver
// (dbtest.OpenPostgresDriver).
func openDatabase(ctx context.Context, kind, dsn, pgDriver string, conns int) (*database, error) {
	switch kind {
	case "sqlite":
		dir, err := os.MkdirTemp("", "paybench-")
		if err != nil {
			return nil, err
		}
		db, err := store.OpenSQLite(filepath.Join(dir, "payments.db"))
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		d := &database{kind: kind, db: db, close: func() { _ = db.Close(); _ = os.RemoveAll(dir) }}
		if err := store.Migrate(ctx, db); err != nil {
			d.close()
			return nil, fmt.Errorf("migrate sqlite: %w", err)
		}
		return d, nil
	case "postgres":
		admin, err := store.OpenPostgres(dsn)
		if err != nil {
			return nil, err
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := admin.PingContext(pctx); err != nil {
			_ = admin.Close()
			return nil, fmt.Errorf("postgres at %s: %w", redactDSN(dsn), err)
		}
		var b [6]byte
		_, _ = rand.Read(b[:])
		tag := hex.EncodeToString(b[:])
		schema := "paybench_" + tag
		if _, err := admin.ExecContext(pctx, "CREATE SCHEMA "+schema); err != nil {
			_ = admin.Close()
			return nil, fmt.Errorf("create schema: %w", err)
		}
		drop := func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, _ = admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
			_ = admin.Close()
		}
		u, err := url.Parse(dsn)
		if err != nil {
			drop()
			return nil, fmt.Errorf("postgres DSN: %w", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		q.Set("application_name", "paybench_"+tag)
		u.RawQuery = q.Encode()
		db, err := dbtest.OpenPostgresDriver(u.String(), pgDriver)
		if err != nil {
			drop()
			return nil, err
		}
		db.SetMaxOpenConns(conns)
		db.SetMaxIdleConns(conns)
		d := &database{kind: kind, db: db, appName: "paybench_" + tag, dsn: u.String(), where: "the server at " + redactDSN(dsn), close: func() { _ = db.Close(); drop() }}
		if err := store.Migrate(ctx, db); err != nil {
			d.close()
			return nil, fmt.Errorf("migrate postgres: %w", err)
		}
		return d, nil
	}
	return nil, fmt.Errorf("unknown database %q (sqlite or postgres)", kind)
}

// redactDSN drops a password from dsn before it is printed.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return u.Redacted()
}

// postgresReachable reports whether a PostgreSQL server answers at dsn.
func postgresReachable(ctx context.Context, dsn string) error {
	db, err := store.OpenPostgres(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// backendCPU sums the CPU time of this database's PostgreSQL backends, read
// from /proc (the server must run on this host, as it does over loopback).
// It returns the time per backend pid, so a caller can diff two readings.
// ok is false when the backends cannot be read.
func (d *database) backendCPU(ctx context.Context) (map[int]time.Duration, bool) {
	pids, ok := d.backendPIDs(ctx)
	if !ok {
		return nil, false
	}
	return pidsCPU(pids)
}

// backendPIDs lists this database's PostgreSQL backends (their process
// ids); ok is false on SQLite or when they cannot be listed.
func (d *database) backendPIDs(ctx context.Context) ([]int, bool) {
	if d.db.Dialect().Name() != dialect.PG {
		return nil, false
	}
	var pids []int
	if err := d.db.NewSelect().TableExpr("pg_stat_activity").Column("pid").
		Where("application_name = ?", d.appName).Scan(ctx, &pids); err != nil {
		return nil, false
	}
	return pids, true
}

// pidsCPU reads the CPU time of each process in pids from /proc; ok is
// false when one cannot be read or pids is empty.
func pidsCPU(pids []int) (map[int]time.Duration, bool) {
	out := make(map[int]time.Duration, len(pids))
	for _, pid := range pids {
		t, err := procCPU(pid)
		if err != nil {
			return nil, false
		}
		out[pid] = t
	}
	return out, len(out) > 0
}

// procCPU reads a process's user+system CPU time from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	// After the command: state is field 3; utime and stime are 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// cpuDelta is the CPU the backends used between two readings; a backend
// that appeared in between counts whole.
func cpuDelta(before, after map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, t := range after {
		d += t - before[pid]
	}
	return d
}
