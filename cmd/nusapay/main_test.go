package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/notify"
	"github.com/nusapay/payments/store"
)

// nusapay runs the command in-process and returns its exit code and output.
func nusapay(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code = run(ctx, args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustRun runs the command and fails the test unless it exits 0.
func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	code, out, errOut := nusapay(t, env, args...)
	if code != 0 {
		t.Fatalf("nusapay %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// database is a fresh, unmigrated database: its -dsn and an open handle.
type database func(t *testing.T) (dsn string, db *bun.DB)

func databases() map[string]database {
	return map[string]database{
		"sqlite": func(t *testing.T) (string, *bun.DB) {
			path := filepath.Join(t.TempDir(), "ops.db")
			db, err := store.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return "sqlite:" + path, db
		},
		"postgres": func(t *testing.T) (string, *bun.DB) {
			schema := dbtest.PostgresSchema(t) // skips when no server runs
			u, err := url.Parse(dbtest.PostgresDSN())
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			db, err := store.OpenPostgres(u.String())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return u.String(), db
		},
	}
}

func TestOperate(t *testing.T) {
	for name, open := range databases() {
		t.Run(name, func(t *testing.T) { testOperate(t, open) })
	}
}

func testOperate(t *testing.T, open database) {
	ctx := context.Background()
	sim := midtranstest.NewServer(midtranstest.Config{})
	t.Cleanup(sim.Close)
	dsn, db := open(t)
	env := map[string]string{"NUSAPAY_DSN": dsn, "MIDTRANS_SERVER_KEY": sim.ServerKey(), "NUSAPAY_MIDTRANS_URL": sim.URL()}

	if out := mustRun(t, env, "migrate"); !strings.Contains(out, "migrated") {
		t.Fatalf("migrate printed %q", out)
	}

	// The host application's Service, on the same database.
	st, err := store.New(db)
	if err != nil {
		t.Fatal(err)
	}
	client, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL()})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := payments.New(client, st, payments.WithMethods(methods.Default()...))
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []*payments.ChargeRequest{
		{OrderID: "INV-CMD-1", Method: "gopay", Amount: 150000, Customer: &payments.Customer{Email: "Ana@Example.com"}},
		{OrderID: "INV-CMD-2", Method: "bca_va", Amount: 20000, Customer: &payments.Customer{Email: "budi@example.com"}},
		{OrderID: "OTHER-1", Method: "bca_va", Amount: 30000},
	} {
		if _, err := svc.CreateCharge(ctx, req); err != nil {
			t.Fatalf("charge %s: %v", req.OrderID, err)
		}
	}

	t.Run("list", func(t *testing.T) {
		out := mustRun(t, env, "payment", "list", "-email", "ana@example.com")
		if !strings.Contains(out, "INV-CMD-1") || strings.Contains(out, "INV-CMD-2") || !strings.Contains(out, "last page") {
			t.Errorf("list by email:\n%s", out)
		}
		out = mustRun(t, env, "payment", "list", "-prefix", "INV-CMD", "-outcome", "pending", "-method", "gopay,bca_va")
		if !strings.Contains(out, "INV-CMD-1") || !strings.Contains(out, "INV-CMD-2") || strings.Contains(out, "OTHER-1") {
			t.Errorf("list by prefix:\n%s", out)
		}
		// Two pages of one, through the printed cursor.
		out = mustRun(t, env, "payment", "list", "-prefix", "INV-CMD", "-limit", "1")
		m := regexp.MustCompile(`(?m)^next: (\S+)$`).FindStringSubmatch(out)
		if m == nil || !strings.Contains(out, "INV-CMD-2") {
			t.Fatalf("first page:\n%s", out)
		}
		out = mustRun(t, env, "payment", "list", "-prefix", "INV-CMD", "-limit", "1", "-after", m[1])
		if !strings.Contains(out, "INV-CMD-1") || strings.Contains(out, "INV-CMD-2") {
			t.Errorf("second page:\n%s", out)
		}
		out = mustRun(t, env, "payment", "list", "-status", "settlement", "-json")
		var page struct{ Payments []payments.Payment }
		if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Payments) != 0 {
			t.Errorf("no payment is settled yet: %v\n%s", err, out)
		}
	})

	t.Run("sync", func(t *testing.T) {
		if err := sim.Pay("INV-CMD-1"); err != nil {
			t.Fatal(err)
		}
		out := mustRun(t, env, "sync", "INV-CMD-1")
		if !strings.Contains(out, "settlement (paid)") {
			t.Errorf("sync after Pay:\n%s", out)
		}
	})

	// A signed settlement notification for the paid order, received by the
	// host's webhook.
	p, err := svc.Payment(ctx, "INV-CMD-1")
	if err != nil {
		t.Fatal(err)
	}
	signature := notify.Sign(sim.ServerKey(), "INV-CMD-1", "200", "150000.00")
	body, err := notify.Signed(sim.ServerKey(), map[string]any{
		"order_id": "INV-CMD-1", "transaction_id": p.TransactionID, "status_code": "200", "gross_amount": "150000.00",
		"transaction_status": "settlement", "payment_type": "gopay",
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := notify.New(svc)
	if err != nil {
		t.Fatal(err)
	}
	if res := h.Handle(ctx, body); res.Kind != notify.Processed {
		t.Fatalf("notification: %v %s %v", res.Kind, res.Message, res.Err)
	}

	t.Run("show", func(t *testing.T) {
		out := mustRun(t, env, "payment", "show", "INV-CMD-1")
		for _, want := range []string{"Payment INV-CMD-1", "settlement, outcome paid", "Notifications (1)", "processed", "ana@example.com"} {
			if !strings.Contains(strings.ToLower(out), strings.ToLower(want)) {
				t.Errorf("show lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, signature) {
			t.Errorf("show printed the signature:\n%s", out)
		}
		out = mustRun(t, env, "payment", "show", "-json", "INV-CMD-1")
		if strings.Contains(out, signature) || !strings.Contains(out, `"signature_key": "[REDACTED]"`) {
			t.Errorf("show -json does not mask the signature:\n%s", out)
		}
		var tl timelineJSON
		if err := json.Unmarshal([]byte(out), &tl); err != nil {
			t.Fatal(err)
		}
		if tl.Payment.OrderID != "INV-CMD-1" || len(tl.Audit) == 0 || len(tl.Notifications) != 1 || len(tl.Events) == 0 {
			t.Errorf("timeline: %d audit, %d notifications, %d events", len(tl.Audit), len(tl.Notifications), len(tl.Events))
		}
	})

	t.Run("refund", func(t *testing.T) {
		out := mustRun(t, env, "refund", "INV-CMD-1", "-amount", "50000", "-reason", "one item returned")
		if !strings.Contains(out, "partial_refund") || !strings.Contains(out, "refunded Rp 50000") {
			t.Errorf("refund:\n%s", out)
		}
		out = mustRun(t, env, "payment", "show", "INV-CMD-1")
		if !strings.Contains(out, "Refunds (1)") || !strings.Contains(out, "succeeded") {
			t.Errorf("show after refund:\n%s", out)
		}
		// More than is left is refused by the Service: a failure (exit 1), not a usage error.
		if code, _, errOut := nusapay(t, env, "refund", "INV-CMD-1", "-amount", "500000"); code != 1 {
			t.Errorf("refund beyond the amount: exit %d, %s", code, errOut)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		out := mustRun(t, env, "cancel", "OTHER-1")
		if !strings.Contains(out, "OTHER-1: cancel (failed)") {
			t.Errorf("cancel:\n%s", out)
		}
	})

	t.Run("expire", func(t *testing.T) {
		out := mustRun(t, env, "expire", "INV-CMD-2")
		if !strings.Contains(out, "INV-CMD-2: expire (failed)") {
			t.Errorf("expire:\n%s", out)
		}
		// Not allowed any more: the Service refuses, exit 1.
		if code, _, errOut := nusapay(t, env, "capture", "INV-CMD-2", "-amount", "20000"); code != 1 {
			t.Errorf("capture of an expired payment: exit %d, %s", code, errOut)
		}
	})

	t.Run("requeue", func(t *testing.T) {
		events, err := svc.Store().ClaimEvents(ctx, "test", 100, time.Minute)
		if err != nil || len(events) == 0 {
			t.Fatalf("claim: %d events, %v", len(events), err)
		}
		e := events[0]
		if err := svc.Store().MarkDead(ctx, e.Seq, "test", "receiver down"); err != nil {
			t.Fatal(err)
		}
		if out := mustRun(t, env, "payment", "show", e.OrderID); !regexp.MustCompile(e.ID + `\s+\S+\s+dead`).MatchString(out) {
			t.Errorf("show does not mark the event dead:\n%s", out)
		}
		mustRun(t, env, "events", "requeue", e.ID)
		got, err := svc.Store().Event(ctx, e.ID)
		if err != nil || got.Dead {
			t.Fatalf("after requeue: %+v, %v", got, err)
		}
		if code, _, errOut := nusapay(t, env, "events", "requeue", e.ID); code != 1 || !strings.Contains(errOut, e.ID) {
			t.Errorf("requeue of an event that is not dead: exit %d, %s", code, errOut)
		}
	})

	t.Run("replay", func(t *testing.T) {
		tl, err := svc.Timeline(ctx, "INV-CMD-1")
		if err != nil || len(tl.Notifications) != 1 {
			t.Fatalf("timeline: %v", err)
		}
		id := tl.Notifications[0].ID
		// As if processing it had failed: replay processes it again, checked against Midtrans.
		if err := svc.Store().FinishNotification(ctx, id, payments.NotificationFailed, "test: database outage"); err != nil {
			t.Fatal(err)
		}
		out := mustRun(t, env, "notifications", "replay", id)
		if !strings.Contains(out, ": processed, duplicate false") {
			t.Errorf("replay:\n%s", out)
		}
		out = mustRun(t, env, "notifications", "replay", id)
		if !strings.Contains(out, "duplicate true") {
			t.Errorf("second replay:\n%s", out)
		}
		if code, _, errOut := nusapay(t, env, "notifications", "replay", "no-such-id"); code != 1 || !strings.Contains(errOut, "no-such-id") {
			t.Errorf("unknown notification: exit %d, %s", code, errOut)
		}
	})

	t.Run("actor", func(t *testing.T) {
		// Every action is recorded with who ran the command: -actor, else
		// $NUSAPAY_ACTOR, else cli:$USER.
		withUser := maps.Clone(env)
		withUser["USER"] = "ana"
		mustRun(t, withUser, "sync", "INV-CMD-1")
		withUser["NUSAPAY_ACTOR"] = "support:budi"
		mustRun(t, withUser, "sync", "INV-CMD-1")
		mustRun(t, withUser, "sync", "-actor", "oncall:citra", "INV-CMD-1")
		tl, err := svc.Timeline(ctx, "INV-CMD-1")
		if err != nil {
			t.Fatal(err)
		}
		var actors []string
		for _, a := range tl.Actions[len(tl.Actions)-3:] {
			actors = append(actors, a.Actor+"/"+a.Action+"/"+string(a.Result))
		}
		if want := []string{"cli:ana/sync/succeeded", "support:budi/sync/succeeded", "oncall:citra/sync/succeeded"}; !slices.Equal(actors, want) {
			t.Errorf("actions %v, want %v", actors, want)
		}
		if out := mustRun(t, env, "payment", "show", "INV-CMD-1"); !strings.Contains(out, "Staff actions (") || !strings.Contains(out, "oncall:citra") {
			t.Errorf("show does not list the staff actions:\n%s", out)
		}
	})
}

func TestUsage(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "u.db")
	withDB := map[string]string{"NUSAPAY_DSN": db}
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		code       int
		out, err   string
		notPrinted string
	}{
		{name: "no command", code: 2, err: "Commands:"},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, err: `unknown command "frobnicate"`},
		{name: "help", args: []string{"help"}, code: 0, out: "payment list"},
		{name: "help command", args: []string{"help", "refund"}, code: 0, out: "-key"},
		{name: "command -h", args: []string{"payment", "list", "-h"}, code: 0, out: "usage: nusapay payment list"},
		{name: "no database", args: []string{"payment", "list"}, code: 2, err: "no database: set -dsn or NUSAPAY_DSN"},
		{name: "no database for migrate", args: []string{"migrate"}, code: 2, err: "set -dsn or NUSAPAY_DSN"},
		{name: "unknown scheme", args: []string{"migrate", "-dsn", "redis://:hunter2@x"}, code: 2, err: "-dsn/NUSAPAY_DSN: unrecognised", notPrinted: "hunter2"},
		{name: "no server key", env: withDB, args: []string{"sync", "INV-1"}, code: 2, err: "set MIDTRANS_SERVER_KEY"},
		{name: "bad environment", env: map[string]string{"NUSAPAY_DSN": db, "MIDTRANS_ENV": "staging"}, args: []string{"payment", "show", "INV-1"}, code: 2, err: "MIDTRANS_ENV"},
		{name: "bad account", env: withDB, args: []string{"payment", "list", "-account", "two words"}, code: 2, err: "-account/NUSAPAY_ACCOUNT"},
		{name: "missing order id", env: withDB, args: []string{"payment", "show"}, code: 2, err: "wants 1 argument"},
		{name: "extra argument", env: withDB, args: []string{"migrate", "now"}, code: 2, err: "takes no arguments"},
		{name: "unknown flag", env: withDB, args: []string{"payment", "list", "-colour"}, code: 2, err: "-colour"},
		{name: "bad status", env: withDB, args: []string{"payment", "list", "-status", "paid"}, code: 2, err: "statuses"},
		{name: "bad time", env: withDB, args: []string{"payment", "list", "-since", "yesterday"}, code: 2, err: "-since"},
		{name: "bad amount", env: withDB, args: []string{"refund", "INV-1", "-amount", "lots"}, code: 2, err: "-amount"},
		{name: "unknown order", env: withDB, args: []string{"payment", "show", "INV-404"}, code: 1, err: "payment INV-404"},
	}
	// The last case needs the tables.
	mustRun(t, withDB, "migrate")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := nusapay(t, tt.env, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.err) {
				t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			if tt.notPrinted != "" && strings.Contains(out+errOut, tt.notPrinted) {
				t.Errorf("printed %q", tt.notPrinted)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestSimulate(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"simulate", "-addr", "127.0.0.1:0", "-server-key", "SB-Mid-server-cmdtest"}, func(string) string { return "" }, &out, &errOut)
	}()
	var base string
	deadline := time.Now().Add(10 * time.Second)
	for base == "" {
		if m := regexp.MustCompile(`simulator at (http://\S+)`).FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no URL printed; stderr: %s", errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "server key: SB-Mid-server-cmdtest") || !strings.Contains(out.String(), "client key: SB-Mid-client-simulator") {
		t.Errorf("keys not printed:\n%s", out.String())
	}

	// A client configured from what it printed charges a payment on it.
	client, err := midtrans.New(midtrans.Config{ServerKey: "SB-Mid-server-cmdtest", BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Charge(ctx, &midtrans.ChargeRequest{
		PaymentType:        "bank_transfer",
		TransactionDetails: midtrans.TransactionDetails{OrderID: "SIM-1", GrossAmount: 10000},
		BankTransfer:       &midtrans.BankTransfer{Bank: "bca"},
	})
	if err != nil || resp.TransactionStatus != "pending" {
		t.Fatalf("charge on the simulator: %+v, %v", resp, err)
	}
	// The wrong key is refused, as Midtrans does.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v2/SIM-1/status", nil)
	req.SetBasicAuth("SB-Mid-server-wrong", "")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong key: HTTP %d", r.StatusCode)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(out.String(), "stopped") {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("simulate did not stop when its context ended")
	}
}
