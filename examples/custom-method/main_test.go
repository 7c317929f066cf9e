package main

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestRun runs the example end to end: the OVO plugin registered next to
// the built-ins, charged through the Service against the simulator, paid,
// its hook fired, and a partial refund refused by its capabilities.
func TestRun(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(f.Name())
	for _, want := range []string{"charged ovo-order-1: pending", "after the customer approved: settlement (paid)",
		"hook: order ovo-order-1 paid with ovo", "partial refund refused locally", "only in full"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
