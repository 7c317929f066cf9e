package midtrans_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/nusapay/payments/midtrans"
)

func TestConfigDefaultsReachMidtrans(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, func(cfg *midtrans.Config) {
		cfg.Headers = http.Header{"X-Payment-Locale": {"en-EN"}, "x-pop-id": {"pop-1"}}
		cfg.OverrideNotificationURLs = []string{"https://hooks.example/override"}
		cfg.AppendNotificationURLs = []string{"https://hooks.example/append"}
	})
	if _, err := c.Charge(ctxT(t), charge("def-1", "gopay")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status(ctxT(t), "def-1"); err != nil {
		t.Fatal(err)
	}
	// The call's own options win: a header of the same name, and either
	// notification option replacing both defaults.
	if _, err := c.Charge(ctxT(t), charge("def-2", "gopay"), midtrans.WithHeader("X-Payment-Locale", "id-ID"),
		midtrans.WithAppendNotification("https://hooks.example/mine")); err != nil {
		t.Fatal(err)
	}
	calls := sim.Calls()
	if len(calls) != 3 {
		t.Fatalf("%d calls", len(calls))
	}
	first, status, second := calls[0].Header, calls[1].Header, calls[2].Header
	for _, h := range []http.Header{first, status} {
		if h.Get("X-Payment-Locale") != "en-EN" || h.Get("X-Pop-Id") != "pop-1" {
			t.Errorf("default headers missing: %v", h)
		}
		if h.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type = %q", h.Get("Content-Type"))
		}
	}
	if first.Get("X-Override-Notification") != "https://hooks.example/override" || first.Get("X-Append-Notification") != "https://hooks.example/append" {
		t.Errorf("charge notification headers: %v", first)
	}
	if status.Get("X-Override-Notification") != "" || status.Get("X-Append-Notification") != "" {
		t.Errorf("status carries notification headers: %v", status)
	}
	if second.Get("X-Payment-Locale") != "id-ID" || second.Get("X-Pop-Id") != "pop-1" {
		t.Errorf("per-call header did not win: %v", second)
	}
	if second.Get("X-Override-Notification") != "" || second.Get("X-Append-Notification") != "https://hooks.example/mine" {
		t.Errorf("per-call notification option did not replace the defaults: %v", second)
	}
	tx, _ := sim.Transaction("def-1")
	if len(tx.NotificationURLs) != 1 || tx.NotificationURLs[0] != "https://hooks.example/override" {
		t.Errorf("the simulator will notify %v", tx.NotificationURLs)
	}
}

func TestConfigDefaultsRefused(t *testing.T) {
	cases := []struct {
		name  string
		mod   func(*midtrans.Config)
		field string
	}{
		{"authorization", func(c *midtrans.Config) { c.Headers = http.Header{"Authorization": {"Basic x"}} }, "Authorization"},
		{"content type", func(c *midtrans.Config) { c.Headers = http.Header{"content-type": {"text/plain"}} }, "Content-Type"},
		{"accept", func(c *midtrans.Config) { c.Headers = http.Header{"Accept": {"*/*"}} }, "Accept"},
		{"user agent", func(c *midtrans.Config) { c.Headers = http.Header{"User-Agent": {"x"}} }, "UserAgent"},
		{"idempotency key", func(c *midtrans.Config) { c.Headers = http.Header{"Idempotency-Key": {"k"}} }, "Idempotency-Key"},
		{"notification header", func(c *midtrans.Config) { c.Headers = http.Header{"X-Override-Notification": {"https://a.example"}} }, "X-Override-Notification"},
		{"two values", func(c *midtrans.Config) { c.Headers = http.Header{"X-A": {"1", "2"}} }, "exactly one value"},
		{"line break", func(c *midtrans.Config) { c.Headers = http.Header{"X-A": {"1\r\nX-B: 2"}} }, "line break"},
		{"bad name", func(c *midtrans.Config) { c.Headers = http.Header{"X A": {"1"}} }, "invalid header name"},
		{"four override URLs", func(c *midtrans.Config) {
			c.OverrideNotificationURLs = []string{"https://a.example", "https://b.example", "https://c.example", "https://d.example"}
		}, "OverrideNotificationURLs"},
		{"relative append URL", func(c *midtrans.Config) { c.AppendNotificationURLs = []string{"/hooks"} }, "AppendNotificationURLs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := midtrans.Config{ServerKey: "SB-Mid-server-x"}
			tc.mod(&cfg)
			_, err := midtrans.New(cfg)
			if !errors.Is(err, midtrans.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), "Config.") {
				t.Fatalf("err = %v, want ErrInvalidConfig naming %q", err, tc.field)
			}
		})
	}
}
