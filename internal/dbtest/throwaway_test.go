package dbtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/nusapay/payments/store"
)

// TestThrowawayRestart: a committed row survives an immediate stop; while
// the server is down a query fails; Close removes the server's files.
func TestThrowawayRestart(t *testing.T) {
	tw := NewThrowaway(t)
	srv := tw.Server()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.OpenPostgres(srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := db.QueryRowContext(ctx, "SELECT v FROM kept").Scan(&v); err == nil {
		t.Fatal("a query succeeded while the server was stopped")
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != 42 {
		t.Fatalf("after the restart: %d, %v; want 42", v, err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(srv.dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s: %v", srv.dir, err)
	}
}
