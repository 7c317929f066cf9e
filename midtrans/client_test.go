package midtrans

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		field string // "" means valid
	}{
		{"valid sandbox", Config{ServerKey: "SB-Mid-server-abc"}, ""},
		{"valid production", Config{ServerKey: "Mid-server-abc", Environment: Production}, ""},
		{"empty key", Config{}, "ServerKey"},
		{"key with space", Config{ServerKey: "SB-Mid server"}, "ServerKey"},
		{"key with tab", Config{ServerKey: "SB-Mid\tserver"}, "ServerKey"},
		{"key with newline", Config{ServerKey: "SB-Mid-server\n"}, "ServerKey"},
		{"key with leading space", Config{ServerKey: " SB-Mid-server"}, "ServerKey"},
		{"key with nbsp", Config{ServerKey: "SB-Mid\u00a0server"}, "ServerKey"},
		{"key with NUL", Config{ServerKey: "SB-Mid\x00server"}, "ServerKey"},
		{"client key with space", Config{ServerKey: "k", ClientKey: "SB-Mid client"}, "ClientKey"},
		{"bad environment", Config{ServerKey: "k", Environment: "staging"}, "Environment"},
		{"upper-case environment", Config{ServerKey: "k", Environment: "Sandbox"}, "Environment"},
		{"relative base URL", Config{ServerKey: "k", BaseURL: "/v2"}, "BaseURL"},
		{"base URL without scheme", Config{ServerKey: "k", BaseURL: "api.midtrans.com"}, "BaseURL"},
		{"ftp base URL", Config{ServerKey: "k", BaseURL: "ftp://api.midtrans.com"}, "BaseURL"},
		{"base URL with user info", Config{ServerKey: "k", BaseURL: "https://user:pw@api.midtrans.com"}, "BaseURL"},
		{"base URL with query", Config{ServerKey: "k", BaseURL: "https://api.midtrans.com?x=1"}, "BaseURL"},
		{"base URL with fragment", Config{ServerKey: "k", BaseURL: "https://api.midtrans.com#x"}, "BaseURL"},
		{"unparseable base URL", Config{ServerKey: "k", BaseURL: "http://[::1"}, "BaseURL"},
		{"base URL without host", Config{ServerKey: "k", BaseURL: "http://"}, "BaseURL"},
		{"bad snap URL", Config{ServerKey: "k", SnapBaseURL: "app.midtrans.com"}, "SnapBaseURL"},
		{"negative timeout", Config{ServerKey: "k", Timeout: -time.Second}, "Timeout"},
		{"negative wait", Config{ServerKey: "k", RetryWaitMin: -1}, "RetryWaitMin"},
		{"negative wait max", Config{ServerKey: "k", RetryWaitMax: -1}, "RetryWaitMax"},
		{"min above max", Config{ServerKey: "k", RetryWaitMin: time.Second, RetryWaitMax: time.Millisecond}, "RetryWaitMin"},
		{"user agent with newline", Config{ServerKey: "k", UserAgent: "a\r\nX-Evil: 1"}, "UserAgent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.field == "" {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New accepted %s", tt.cfg)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("err %v does not wrap ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), "Config."+tt.field+" ") {
				t.Errorf("err %q does not name Config.%s", err, tt.field)
			}
			if tt.cfg.ServerKey != "" && len(tt.cfg.ServerKey) > 2 && strings.Contains(err.Error(), tt.cfg.ServerKey) {
				t.Errorf("err %q contains the key", err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	tests := []struct {
		name          string
		cfg           Config
		env           Environment
		core, snap    string
		retries       int
		waitMin, wait time.Duration
		timeout       time.Duration
	}{
		{"sandbox", Config{ServerKey: "k"}, Sandbox, "https://api.sandbox.midtrans.com", "https://app.sandbox.midtrans.com", 2, 500 * time.Millisecond, 5 * time.Second, 30 * time.Second},
		{"production", Config{ServerKey: "k", Environment: Production}, Production, "https://api.midtrans.com", "https://app.midtrans.com", 2, 500 * time.Millisecond, 5 * time.Second, 30 * time.Second},
		{"base URL serves both", Config{ServerKey: "k", BaseURL: "http://127.0.0.1:9999/sim/", MaxRetries: -3}, Sandbox, "http://127.0.0.1:9999/sim", "http://127.0.0.1:9999/sim", 0, 500 * time.Millisecond, 5 * time.Second, 30 * time.Second},
		{"separate snap URL", Config{ServerKey: "k", BaseURL: "http://a.test", SnapBaseURL: "http://b.test//", MaxRetries: 4, Timeout: time.Second}, Sandbox, "http://a.test", "http://b.test", 4, 500 * time.Millisecond, 5 * time.Second, time.Second},
		{"snap URL alone", Config{ServerKey: "k", Environment: Production, SnapBaseURL: "http://b.test"}, Production, "https://api.midtrans.com", "http://b.test", 2, 500 * time.Millisecond, 5 * time.Second, 30 * time.Second},
		{"min above default max raises max", Config{ServerKey: "k", RetryWaitMin: 10 * time.Second}, Sandbox, "https://api.sandbox.midtrans.com", "https://app.sandbox.midtrans.com", 2, 10 * time.Second, 10 * time.Second, 30 * time.Second},
		{"max below default min lowers min", Config{ServerKey: "k", RetryWaitMax: 10 * time.Millisecond}, Sandbox, "https://api.sandbox.midtrans.com", "https://app.sandbox.midtrans.com", 2, 10 * time.Millisecond, 10 * time.Millisecond, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if c.Environment() != tt.env || c.CoreBaseURL() != tt.core || c.SnapBaseURL() != tt.snap {
				t.Errorf("env %q core %q snap %q", c.Environment(), c.CoreBaseURL(), c.SnapBaseURL())
			}
			if c.retries != tt.retries || c.waitMin != tt.waitMin || c.waitMax != tt.wait || c.timeout != tt.timeout {
				t.Errorf("retries %d wait %v..%v timeout %v", c.retries, c.waitMin, c.waitMax, c.timeout)
			}
			if c.http == http.DefaultClient || c.creds.header.Get("User-Agent") != "nusapay-payments-go" {
				t.Errorf("http client or user agent not defaulted")
			}
		})
	}
}

// TestDefaultTransportKeepsConnections: concurrent callers reuse their
// connections. Two rounds of 8 calls that are all in flight at once (the
// server holds each answer until the 8th arrives): the first opens 8
// connections, the second none; with the standard transport's 2 idle
// connections per host it would open 6 again.
func TestDefaultTransportKeepsConnections(t *testing.T) {
	const callers = 8
	var (
		mu      sync.Mutex
		arrived int
		release = make(chan struct{})
		opened  atomic.Int32
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if arrived++; arrived == callers {
			close(release)
		}
		wait := release
		mu.Unlock()
		select {
		case <-wait:
		case <-time.After(10 * time.Second):
		}
		reply(w, 200, `{"status_code":"201","transaction_status":"pending"}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := New(Config{ServerKey: testServerKey, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.http.CloseIdleConnections)

	for round := 1; round <= 2; round++ {
		mu.Lock()
		arrived, release = 0, make(chan struct{})
		mu.Unlock()
		before := opened.Load()
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				if _, err := c.Status(context.Background(), fmt.Sprintf("order-%d", i)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		want := int32(callers)
		if round == 2 {
			want = 0
		}
		if got := opened.Load() - before; got != want {
			t.Fatalf("round %d opened %d connections, want %d", round, got, want)
		}
	}
}

func TestNewCopiesConfig(t *testing.T) {
	cfg := Config{ServerKey: "k", ClientKey: "SB-Mid-client-1", BaseURL: "http://a.test"}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ClientKey, cfg.BaseURL = "changed", "http://b.test"
	if c.ClientKey() != "SB-Mid-client-1" || c.CoreBaseURL() != "http://a.test" {
		t.Errorf("client follows later Config changes")
	}
}

func TestRequestHeaders(t *testing.T) {
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, `{"status_code":"200","transaction_status":"capture"}`)
	})
	c := newTestClient(t, srv.URL, func(c *Config) { c.UserAgent = "shop/1.0" })
	if _, err := c.Approve(context.Background(), "order-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status(context.Background(), "order-1", WithIdempotencyKey("not-for-get")); err != nil {
		t.Fatal(err)
	}
	reqs := rec.all()
	for _, r := range reqs {
		h := r.Header
		if h.Get("Authorization") != testAuthHeader() || h.Get("Accept") != "application/json" ||
			h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != "shop/1.0" {
			t.Errorf("%s headers: %v", r.Method, h)
		}
		if h.Get("Idempotency-Key") != "" || h.Get("X-Override-Notification") != "" {
			t.Errorf("unasked headers: %v", h)
		}
	}
	if reqs[0].Method != http.MethodPost || reqs[0].Path != "/v2/order-1/approve" || string(reqs[0].Body) != "{}" {
		t.Errorf("approve: %s %s %q", reqs[0].Method, reqs[0].Path, reqs[0].Body)
	}
	if reqs[1].Method != http.MethodGet || len(reqs[1].Body) != 0 {
		t.Errorf("status: %s %q", reqs[1].Method, reqs[1].Body)
	}
}

// TestAuthorizationHeaderDocsExample checks the docs' example key.
func TestAuthorizationHeaderDocsExample(t *testing.T) {
	c, err := New(Config{ServerKey: "SB-Mid-server-abc123cde456"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.creds.auth.reveal(); got != "Basic U0ItTWlkLXNlcnZlci1hYmMxMjNjZGU0NTY6" {
		t.Errorf("Authorization = %q", got)
	}
}

func TestOperationRoutes(t *testing.T) {
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if strings.Contains(r.URL.Path, "b2b") {
			reply(w, 200, `{"status_code":"200","transactions":[]}`)
			return
		}
		reply(w, 200, `{"status_code":"200","transaction_status":"settlement"}`)
	})
	c := newTestClient(t, srv.URL, nil)
	ctx := context.Background()
	calls := []struct {
		do     func() error
		method string
		path   string
		query  string
		body   string
	}{
		{func() error { _, err := c.Charge(ctx, testCharge("o-1")); return err }, "POST", "/v2/charge", "",
			`{"payment_type":"bank_transfer","transaction_details":{"order_id":"o-1","gross_amount":10000},"bank_transfer":{"bank":"bca"}}`},
		{func() error { _, err := c.Status(ctx, "o-1"); return err }, "GET", "/v2/o-1/status", "", ""},
		{func() error { _, err := c.StatusB2B(ctx, "o-1", 2, 20); return err }, "GET", "/v2/o-1/status/b2b", "page=2&per_page=20", ""},
		{func() error { _, err := c.StatusB2B(ctx, "o-1", 0, 0); return err }, "GET", "/v2/o-1/status/b2b", "page=0", ""},
		{func() error { _, err := c.Approve(ctx, "o-1"); return err }, "POST", "/v2/o-1/approve", "", `{}`},
		{func() error { _, err := c.Deny(ctx, "o-1"); return err }, "POST", "/v2/o-1/deny", "", `{}`},
		{func() error { _, err := c.Cancel(ctx, "o-1"); return err }, "POST", "/v2/o-1/cancel", "", `{}`},
		{func() error { _, err := c.Expire(ctx, "o-1"); return err }, "POST", "/v2/o-1/expire", "", `{}`},
		{func() error {
			_, err := c.Refund(ctx, "o-1", RefundRequest{RefundKey: "reference1", Amount: 5000, Reason: "for some reason"})
			return err
		}, "POST", "/v2/o-1/refund", "", `{"refund_key":"reference1","amount":5000,"reason":"for some reason"}`},
		{func() error { _, err := c.DirectRefund(ctx, "o-1", RefundRequest{}); return err }, "POST", "/v2/o-1/refund/online/direct", "", `{}`},
		{func() error {
			_, err := c.Capture(ctx, CaptureRequest{TransactionID: "1ac1a089d-a587-40f1-a936-a7770667d6dd", GrossAmount: 55000})
			return err
		}, "POST", "/v2/capture", "", `{"transaction_id":"1ac1a089d-a587-40f1-a936-a7770667d6dd","gross_amount":55000}`},
	}
	for i, cl := range calls {
		if err := cl.do(); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		got := rec.all()[i]
		if got.Method != cl.method || got.Path != cl.path || got.Query != cl.query {
			t.Errorf("call %d: %s %s?%s, want %s %s?%s", i, got.Method, got.Path, got.Query, cl.method, cl.path, cl.query)
		}
		if string(got.Body) != cl.body {
			t.Errorf("call %d: body %s, want %s", i, got.Body, cl.body)
		}
	}
}

func TestInvalidRequests(t *testing.T) {
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, chargeCreated) })
	c := newTestClient(t, srv.URL, nil)
	ctx := context.Background()
	calls := map[string]func() error{
		"nil charge": func() error { _, err := c.Charge(ctx, nil); return err },
		"no payment type": func() error {
			_, err := c.Charge(ctx, &ChargeRequest{TransactionDetails: TransactionDetails{OrderID: "o"}})
			return err
		},
		"no order id":       func() error { _, err := c.Charge(ctx, &ChargeRequest{PaymentType: "gopay"}); return err },
		"empty status id":   func() error { _, err := c.Status(ctx, ""); return err },
		"dot id":            func() error { _, err := c.Status(ctx, "."); return err },
		"dot-dot id":        func() error { _, err := c.Cancel(ctx, ".."); return err },
		"empty b2b id":      func() error { _, err := c.StatusB2B(ctx, "", 0, 10); return err },
		"negative page":     func() error { _, err := c.StatusB2B(ctx, "o", -1, 10); return err },
		"empty approve id":  func() error { _, err := c.Approve(ctx, ""); return err },
		"empty deny id":     func() error { _, err := c.Deny(ctx, ""); return err },
		"empty expire id":   func() error { _, err := c.Expire(ctx, ""); return err },
		"empty refund id":   func() error { _, err := c.Refund(ctx, "", RefundRequest{}); return err },
		"negative refund":   func() error { _, err := c.Refund(ctx, "o", RefundRequest{Amount: -1}); return err },
		"negative direct":   func() error { _, err := c.DirectRefund(ctx, "o", RefundRequest{Amount: -1}); return err },
		"empty direct id":   func() error { _, err := c.DirectRefund(ctx, "", RefundRequest{}); return err },
		"no transaction id": func() error { _, err := c.Capture(ctx, CaptureRequest{}); return err },
		"negative capture": func() error {
			_, err := c.Capture(ctx, CaptureRequest{TransactionID: "t", GrossAmount: -5})
			return err
		},
		"nil snap":         func() error { _, err := c.CreateSnapTransaction(ctx, nil); return err },
		"snap no order id": func() error { _, err := c.CreateSnapTransaction(ctx, &SnapRequest{}); return err },
		"bad metadata": func() error {
			r := testCharge("o")
			r.Metadata = json.RawMessage(`{`)
			_, err := c.Charge(ctx, r)
			return err
		},
		"extra collision": func() error {
			r := testCharge("o")
			r.Extra = map[string]json.RawMessage{"gopay": json.RawMessage(`{}`)}
			_, err := c.Charge(ctx, r)
			return err
		},
		"bad extra JSON": func() error {
			r := &SnapRequest{TransactionDetails: TransactionDetails{OrderID: "o"}, Extra: map[string]json.RawMessage{"bca_va": json.RawMessage(`{`)}}
			_, err := c.CreateSnapTransaction(ctx, r)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("err = %v, want ErrInvalidRequest", err)
			}
		})
	}
	if rec.calls() != 0 {
		t.Errorf("%d requests sent", rec.calls())
	}
}

// TestRedaction checks every way a key could be printed.
func TestRedaction(t *testing.T) {
	cfg := Config{ServerKey: testServerKey, ClientKey: "SB-Mid-client-public", BaseURL: "http://127.0.0.1:1"}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v"} {
		outputs = append(outputs,
			fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, &cfg), fmt.Sprintf(verb, c),
			fmt.Sprintf(verb, c.creds.auth), fmt.Sprintf(verb, []any{cfg, c}), fmt.Sprintf(verb, struct{ C Config }{cfg}),
		)
	}
	outputs = append(outputs, fmt.Sprint(cfg), fmt.Sprint(c), fmt.Sprintln(cfg, c), cfg.String(), cfg.GoString(), c.String(), c.GoString())

	js, err := json.Marshal(struct {
		Cfg  Config
		Auth secret
	}{cfg, c.creds.auth})
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(js))

	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		l := slog.New(h(&buf))
		l.Info("client", "client", c, "config", cfg, "auth", c.creds.auth)
		l.Info("any", slog.Any("c", c), slog.Any("cfg", &cfg))
		outputs = append(outputs, buf.String())
	}

	for _, out := range outputs {
		assertNoSecret(t, "output", out)
	}
	if s := fmt.Sprintf("%v", cfg); !strings.Contains(s, "[REDACTED]") || !strings.Contains(s, "SB-Mid-client-public") {
		t.Errorf("Config prints as %s", s)
	}
	if s := fmt.Sprintf("%#v", Config{}); strings.Contains(s, "REDACTED") {
		t.Errorf("an empty key prints as redacted: %s", s)
	}
}

// TestNoSecretInLogsOrErrors runs calls that fail in every way with a
// debug logger and checks logs and errors for the key.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	var logs syncBuffer
	_, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n % 4 {
		case 1:
			reply(w, 200, `{"status_code":"401","status_message":"Access denied"}`)
		case 2:
			hangUp(t, w)
		case 3:
			reply(w, 503, `nope`)
		default:
			reply(w, 200, chargeCreated)
		}
	})
	c := newTestClient(t, srv.URL, func(c *Config) { c.Logger = debugLogger(&logs); c.MaxRetries = 1 })
	ctx := context.Background()
	var errs []error
	for range 3 {
		_, err := c.Charge(ctx, testCharge("o"))
		errs = append(errs, err)
		_, err = c.Status(ctx, "o")
		errs = append(errs, err)
		_, err = c.Cancel(ctx, "o", WithIdempotencyKey("k"))
		errs = append(errs, err)
	}
	_, err := c.Charge(ctx, testCharge("o"), WithIdempotencyKey(strings.Repeat("x", 40)))
	errs = append(errs, err)
	for _, err := range errs {
		if err != nil {
			assertNoSecret(t, "error", err.Error())
			assertNoSecret(t, "error", fmt.Sprintf("%+v %#v", err, err))
		}
	}
	out := logs.String()
	assertNoSecret(t, "logs", out)
	if strings.Contains(out, "Authorization") {
		t.Errorf("logs mention the Authorization header")
	}
	for _, want := range []string{`"msg":"midtrans attempt"`, `"msg":"midtrans retry"`, `"op":"charge"`, `"http_status":503`, `"code":401`, `"attempt":2`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
}
