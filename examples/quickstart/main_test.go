package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments/adapters"
)

// syncBuffer is the program's output; the hook writes from Run's goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRun runs the quick start as `go run ./examples/quickstart` does and
// checks what a newcomer reads: the VA number to pay, then the fulfilment
// the paid hook announces, in that order and nothing else.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out syncBuffer
	if err := run(ctx, &out, filepath.Join(t.TempDir(), "shop.db")); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, out.String())
	}
	want := regexp.MustCompile(`^order INV-1001: transfer Rp 150\.000 to BCA virtual account [0-9]{10,}\n` +
		`paid: fulfil order INV-1001\n$`)
	if got := out.String(); !want.MatchString(got) {
		t.Errorf("output:\n%s\nwant it to match %s", got, want)
	}
}

// TestRunGivesUp: an ended context makes run fail and return, never wait
// for ever.
func TestRunGivesUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out syncBuffer
	if err := run(ctx, &out, filepath.Join(t.TempDir(), "shop.db")); err == nil {
		t.Fatalf("run with an ended context succeeded; output:\n%s", out.String())
	}
}

// TestConsoleRefusesStrangers: the console the quick start mounts refuses
// whoever is not signed in, and lets the right role in under its email.
func TestConsoleRefusesStrangers(t *testing.T) {
	session := func(r *http.Request) (string, string, bool) {
		switch r.Header.Get("X-Test-Role") {
		case "finance":
			return "fin@shop.example", "finance", true
		case "support":
			return "cs@shop.example", "support", true
		}
		return "", "", false
	}
	auth := staffOnly(session)
	req := func(role string) *adapters.Request {
		r := httptest.NewRequest(http.MethodGet, "/payments/console", nil)
		r.Header.Set("X-Test-Role", role)
		return &adapters.Request{Header: r.Header, Raw: r}
	}
	ctx := context.Background()
	if _, err := auth(ctx, req(""), adapters.OpView, ""); !errors.Is(err, adapters.ErrUnauthenticated) {
		t.Errorf("a stranger: %v", err)
	}
	if who, err := auth(ctx, req("support"), adapters.OpView, ""); err != nil || who != "cs@shop.example" {
		t.Errorf("support reading: %q, %v", who, err)
	}
	if _, err := auth(ctx, req("support"), "refund", "INV-1"); err == nil {
		t.Error("support may refund")
	}
	if who, err := auth(ctx, req("finance"), "refund", "INV-1"); err != nil || who != "fin@shop.example" {
		t.Errorf("finance refunding: %q, %v", who, err)
	}
	if _, _, ok := yourSessions(httptest.NewRequest(http.MethodGet, "/", nil)); ok {
		t.Error("the quick start signs somebody in")
	}
}
