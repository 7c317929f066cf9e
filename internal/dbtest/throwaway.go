package dbtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/uptrace/bun"
)

// ErrNoThrowaway is wrapped by StartThrowaway's error when this machine
// cannot run a throwaway server at all (no PostgreSQL server binaries, or
// running as root without a postgres user to run them as), as opposed to a
// server that failed to initialise or start.
var ErrNoThrowaway = errors.New("dbtest: cannot run a throwaway PostgreSQL server here")

// ThrowawayServer is a PostgreSQL server of its own, in a temporary
// directory on a free loopback port, for a test or a program (paybench's
// soak) that must make the database go away for real: Stop kills it as a
// crash would, Start brings it back with its data. The shared server is
// never touched. By default it runs with fsync off: its data matters only
// while it lives, and an immediate stop is not an operating system crash,
// so no committed write is lost by it.
type ThrowawayServer struct {
	bin  string // the directory of initdb and pg_ctl
	dir  string // owns data/ and log
	port int
	// settings are -c name=value server settings after the defaults.
	settings []string
	// asUser runs the server binaries as this user, when set: the server
	// refuses to run as root.
	asUser string
}

// StartThrowaway initialises a throwaway server with initdb and starts it;
// Close stops it and removes its files. It finds the server binaries where
// Debian's packages put them (/usr/lib/postgresql/<version>/bin, the
// newest version), else initdb on PATH. As root, it runs them as the
// postgres user, in a directory under os.TempDir that user owns.
//
// Each of settings ("name=value") is passed to the server as -c after the
// defaults (fsync=off, max_connections=50), so it may override them:
// "fsync=on" for a server that commits as a production one does.
func StartThrowaway(ctx context.Context, settings ...string) (*ThrowawayServer, error) {
	bin, err := serverBinaries()
	if err != nil {
		return nil, err
	}
	s := &ThrowawayServer{bin: bin, settings: settings}
	var uid, gid int
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("%w: running as root without a postgres user to run the server as: %v", ErrNoThrowaway, err)
		}
		s.asUser = u.Username
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	if s.dir, err = os.MkdirTemp("", "nusapay-pg-"); err != nil {
		return nil, err
	}
	if s.asUser != "" {
		if err := os.Chown(s.dir, uid, gid); err != nil {
			_ = os.RemoveAll(s.dir)
			return nil, err
		}
	}
	if out, err := s.command(ctx, "initdb", "-D", s.data(), "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		_ = os.RemoveAll(s.dir)
		return nil, fmt.Errorf("dbtest: initdb: %w\n%s", err, out)
	}
	if s.port, err = freePort(); err != nil {
		_ = os.RemoveAll(s.dir)
		return nil, err
	}
	if err := s.Start(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// serverBinaries returns the directory of initdb and pg_ctl.
func serverBinaries() (string, error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	best, bestVersion := "", -1
	for _, b := range bins {
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(b))))
		if err == nil && v > bestVersion {
			best, bestVersion = b, v
		}
	}
	if best == "" {
		var err error
		if best, err = exec.LookPath("initdb"); err != nil {
			return "", fmt.Errorf("%w: no initdb under /usr/lib/postgresql/*/bin nor on PATH", ErrNoThrowaway)
		}
	}
	return filepath.Dir(best), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *ThrowawayServer) data() string { return filepath.Join(s.dir, "data") }

// command runs one of the server binaries, as s.asUser when set.
func (s *ThrowawayServer) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, name)
	if s.asUser != "" {
		return exec.CommandContext(ctx, "runuser", append([]string{"-u", s.asUser, "--", path}, args...)...)
	}
	return exec.CommandContext(ctx, path, args...)
}

// DSN is the server's DSN for the postgres database.
func (s *ThrowawayServer) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// Start starts the server and waits until it accepts connections (after
// crash recovery, when Stop left it so).
func (s *ThrowawayServer) Start(ctx context.Context) error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50", s.port, s.dir)
	for _, kv := range s.settings {
		opts += " -c " + kv
	}
	out, err := s.command(ctx, "pg_ctl", "-D", s.data(), "-o", opts, "-l", filepath.Join(s.dir, "log"), "-w", "-t", "30", "start").CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		return fmt.Errorf("dbtest: start throwaway PostgreSQL: %w\n%s\n%s", err, out, log)
	}
	return nil
}

// Stop stops the server at once, as a crash or a network cut would look to
// its clients: open connections break, transactions in flight are lost
// (or committed, unknown to a client waiting for the answer), and new
// connections are refused until Start.
func (s *ThrowawayServer) Stop(ctx context.Context) error { return s.stop(ctx, "immediate") }

func (s *ThrowawayServer) stop(ctx context.Context, mode string) error {
	if out, err := s.command(ctx, "pg_ctl", "-D", s.data(), "-m", mode, "-w", "stop").CombinedOutput(); err != nil {
		return fmt.Errorf("dbtest: stop throwaway PostgreSQL (%s): %w\n%s", mode, err, out)
	}
	return nil
}

// Close stops the server, if it runs, and removes its files.
func (s *ThrowawayServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// pg_ctl stop fails when the server is already stopped: nothing to do.
	_ = s.stop(ctx, "fast")
	return os.RemoveAll(s.dir)
}

// Throwaway is a ThrowawayServer owned by a test: its methods fail the test
// instead of returning an error.
type Throwaway struct {
	t   testing.TB
	srv *ThrowawayServer
}

// NewThrowaway starts a ThrowawayServer that is stopped and removed when
// the test ends. When this machine cannot run one (ErrNoThrowaway), the
// test skips, unless PAYMENTS_TEST_REQUIRE_POSTGRES is set.
func NewThrowaway(t testing.TB) *Throwaway {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := StartThrowaway(ctx)
	if errors.Is(err, ErrNoThrowaway) && os.Getenv("PAYMENTS_TEST_REQUIRE_POSTGRES") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("remove throwaway PostgreSQL: %v", err)
		}
	})
	return &Throwaway{t: t, srv: srv}
}

// Server is the test's server, for code that takes a *ThrowawayServer.
func (tw *Throwaway) Server() *ThrowawayServer { return tw.srv }

// DSN is the server's DSN for the postgres database.
func (tw *Throwaway) DSN() string { return tw.srv.DSN() }

// Start starts the server again after Stop.
func (tw *Throwaway) Start() {
	tw.t.Helper()
	tw.must(tw.srv.Start)
}

// Stop stops the server at once (see ThrowawayServer.Stop).
func (tw *Throwaway) Stop() {
	tw.t.Helper()
	tw.must(tw.srv.Stop)
}

func (tw *Throwaway) must(f func(context.Context) error) {
	tw.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f(ctx); err != nil {
		tw.t.Fatal(err)
	}
}

// Open returns a migrated database on the server, closed when the test
// ends.
func (tw *Throwaway) Open() *bun.DB {
	tw.t.Helper()
	db, err := OpenPostgresSchema(tw.DSN(), "public")
	if err != nil {
		tw.t.Fatal(err)
	}
	tw.t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		tw.t.Fatal(err)
	}
	Migrate(tw.t, db)
	return db
}
