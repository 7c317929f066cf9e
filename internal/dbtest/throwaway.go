package dbtest

import (
	"context"
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

// Throwaway is a PostgreSQL server of a test's own, in a temporary
// directory on a free port, that the test may stop and start to make the
// database go away for real. The shared server is never touched.
type Throwaway struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	run  func(name string, args ...string) *exec.Cmd
}

// NewThrowaway initialises and starts a throwaway server; it is stopped and
// removed when the test ends. Without PostgreSQL's server binaries (Debian's
// /usr/lib/postgresql/<version>/bin) the test skips, unless
// PAYMENTS_TEST_REQUIRE_POSTGRES is set.
func NewThrowaway(t testing.TB) *Throwaway {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if os.Getenv("PAYMENTS_TEST_REQUIRE_POSTGRES") != "" {
			t.Fatal("PostgreSQL required (PAYMENTS_TEST_REQUIRE_POSTGRES is set) but no initdb under /usr/lib/postgresql")
		}
		t.Skip("no PostgreSQL server binaries for a throwaway server")
	}
	tw := &Throwaway{t: t, bin: filepath.Dir(bins[len(bins)-1])}
	// The server refuses to run as root: run it as the postgres user then,
	// in a directory that user owns, under /tmp (a test's TempDir is not
	// reachable by another user).
	tw.run = exec.Command
	dir, err := os.MkdirTemp("", "nusapay-pg-")
	if err != nil {
		t.Fatal(err)
	}
	tw.dir = dir
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			if os.Getenv("PAYMENTS_TEST_REQUIRE_POSTGRES") != "" {
				t.Fatalf("PostgreSQL required (PAYMENTS_TEST_REQUIRE_POSTGRES is set) but running as root without a postgres user: %v", err)
			}
			t.Skipf("running as root without a postgres user to run a throwaway server: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		tw.run = func(name string, args ...string) *exec.Cmd {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := tw.run(filepath.Join(tw.bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	tw.port = freePort(t)
	tw.Start()
	t.Cleanup(func() { tw.stop("fast") })
	return tw
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// DSN is the throwaway server's DSN for the postgres database.
func (tw *Throwaway) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", tw.port)
}

// Start starts the server and waits until it accepts connections.
func (tw *Throwaway) Start() {
	tw.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50", tw.port, tw.dir)
	if out, err := tw.run(filepath.Join(tw.bin, "pg_ctl"), "-D", filepath.Join(tw.dir, "data"), "-o", opts,
		"-l", filepath.Join(tw.dir, "log"), "-w", "-t", "30", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(tw.dir, "log"))
		tw.t.Fatalf("start throwaway PostgreSQL: %v\n%s\n%s", err, out, log)
	}
}

// Stop stops the server at once, as a crash or a network cut would look
// to its clients: open connections break and new ones are refused.
func (tw *Throwaway) Stop() { tw.stop("immediate") }

func (tw *Throwaway) stop(mode string) {
	_ = tw.run(filepath.Join(tw.bin, "pg_ctl"), "-D", filepath.Join(tw.dir, "data"), "-m", mode, "-w", "stop").Run()
}

// Open returns a migrated database on the throwaway server, closed when the
// test ends.
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
