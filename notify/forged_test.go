package notify_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/uptrace/bun/dialect"

	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/notify"
)

func inboxRows(t *testing.T, env *testenv.Env) int {
	t.Helper()
	n, err := env.DB.NewSelect().Table("nusapay_inbox").Count(testenv.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// inboxBytes is the storage the inbox takes: the table with its indexes and
// TOAST on PostgreSQL, its data and indexes on MySQL, the whole database
// file on SQLite.
func inboxBytes(t *testing.T, env *testenv.Env) int64 {
	t.Helper()
	q := "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
	switch env.DB.Dialect().Name() {
	case dialect.PG:
		q = "SELECT pg_total_relation_size('nusapay_inbox')"
	case dialect.MySQL:
		// InnoDB's sizes are statistics: refresh them first.
		if _, err := env.DB.ExecContext(testenv.Ctx(t), "ANALYZE TABLE nusapay_inbox"); err != nil {
			t.Fatal(err)
		}
		q = "SELECT data_length + index_length FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'nusapay_inbox'"
	}
	var n int64
	if err := env.DB.NewRaw(q).Scan(testenv.Ctx(t), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestForgedNotificationsStoreNothing (defect 3): unauthenticated bodies
// cost no storage. 1,000 forged notifications of 32 KiB each, every one for
// a fresh order, add no inbox row and do not grow the inbox; they are
// counted.
func TestForgedNotificationsStoreNothing(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		s := newStack(t, env)
		rows, size := inboxRows(t, env), inboxBytes(t, env)
		pad := strings.Repeat("x", 32<<10)
		for i := range 1000 {
			body, err := notify.Signed("SB-Mid-server-attacker", map[string]any{"order_id": fmt.Sprintf("forged-%04d", i),
				"status_code": "200", "gross_amount": "50000.00", "transaction_status": "settlement", "pad": pad})
			if err != nil {
				t.Fatal(err)
			}
			if code := post(t, s, body); code != http.StatusUnauthorized {
				t.Fatalf("forged notification %d answered %d", i, code)
			}
		}
		if got := inboxRows(t, env); got != rows {
			t.Errorf("forged notifications added %d inbox rows", got-rows)
		}
		if got := inboxBytes(t, env); got != size {
			t.Errorf("forged notifications grew the inbox from %d to %d bytes", size, got)
		}
		// Logged, but never the body, nor more than a prefix of an order id.
		var logged bytes.Buffer
		h, err := notify.New(env.Service, notify.WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
		if err != nil {
			t.Fatal(err)
		}
		huge, _ := notify.Signed("SB-Mid-server-attacker", map[string]any{"order_id": strings.Repeat("o", 4096),
			"status_code": "200", "gross_amount": "50000.00", "pad": pad})
		if r := h.Handle(testenv.Ctx(t), huge); r.Kind != notify.Rejected || !errors.Is(r.Err, notify.ErrInvalidSignature) || h.Rejected() != 1 {
			t.Fatalf("forged: %+v, %d counted", r, h.Rejected())
		}
		if logged.Len() > 512 || strings.Contains(logged.String(), "xxxx") {
			t.Errorf("log line %q", logged.String())
		}
		if n := s.handler.Rejected(); n != 1000 {
			t.Errorf("%d rejections counted, want 1000", n)
		}
	})
}

// post sends body to the stack's webhook over HTTP and returns the status.
func post(t testing.TB, s *stack, body []byte) int {
	t.Helper()
	resp, err := http.Post(s.hook.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
