package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
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
	want := regexp.MustCompile(`^order INV-1001: transfer Rp 150000\.00 to BCA virtual account [0-9]{10,}\n` +
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
