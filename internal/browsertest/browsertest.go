// Package browsertest starts headless Chromium for the browser tests (the
// demo shop's, the ops console's): Debian's chromium, never a browser a
// tool downloads, with a fresh profile, and collects what the page reports
// as an error.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's chromium; the test never downloads a browser.
const ChromiumPath = "/usr/bin/chromium"

// Errors collects what the page reports as an error: console.error
// calls, uncaught exceptions, and browser-log errors such as a failed
// resource load or a Content-Security-Policy violation.
type Errors struct {
	// ignore are resource URLs whose failure is not the shop's: set once,
	// before the browser starts.
	ignore []string

	mu   sync.Mutex
	msgs []string
}

func (c *Errors) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			parts = append(parts, strings.TrimSpace(string(a.Value)+" "+a.Description))
		}
		msg = "console.error: " + strings.Join(parts, " ")
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "exception: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		msg += fmt.Sprintf(" at %s:%d", d.URL, d.LineNumber+1)
	case *log.EventEntryAdded:
		if ev.Entry.Level != log.EntryLevelError || slices.Contains(c.ignore, ev.Entry.URL) {
			return
		}
		msg = fmt.Sprintf("log %s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
	default:
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, msg)
}

// Take returns the errors so far and forgets them.
func (c *Errors) Take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.msgs
	c.msgs = nil
	return out
}

// Require skips the test when Chromium is missing, or fails it when
// PAYMENTS_TEST_REQUIRE_BROWSER is set (CI), so CI never skips silently.
func Require(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		msg := fmt.Sprintf("%s not found: install Debian's chromium (apt-get install -y chromium) to run the browser test", ChromiumPath)
		if os.Getenv("PAYMENTS_TEST_REQUIRE_BROWSER") != "" {
			t.Fatal(msg + " (PAYMENTS_TEST_REQUIRE_BROWSER is set)")
		}
		t.Skip(msg + "; CI sets PAYMENTS_TEST_REQUIRE_BROWSER=1 so it never skips there")
	}
}

// New starts headless Chromium with a fresh profile and returns a
// tab context. The test fails, or skips when CI does not require it, if
// Chromium is not installed. Failed loads of the ignore URLs are not
// counted as errors.
func New(t *testing.T, ignore ...string) (context.Context, *Errors) {
	t.Helper()
	Require(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(ChromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers have a small /dev/shm
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	errs := &Errors{ignore: ignore}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(errs.listen))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no deadline of its own
		t.Fatalf("start chromium: %v", err)
	}
	return ctx, errs
}

// Step runs actions with a deadline, so a stuck page fails the test
// instead of hanging it.
func Step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func Value[T any](t *testing.T, ctx context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}
