package midtrans

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetryReads(t *testing.T) {
	tests := []struct {
		name      string
		fail      func(t *testing.T, w http.ResponseWriter)
		failures  int // failing attempts before success
		retries   int
		wantCalls int
		wantErr   error // nil: success
	}{
		{"503 then success", func(t *testing.T, w http.ResponseWriter) { reply(w, 503, `{"status_code":"503"}`) }, 2, 2, 3, nil},
		{"500 body code under 200", func(t *testing.T, w http.ResponseWriter) { reply(w, 200, `{"status_code":"500"}`) }, 1, 2, 2, nil},
		{"429 then success", func(t *testing.T, w http.ResponseWriter) { reply(w, 429, `too many`) }, 1, 2, 2, nil},
		{"502 html", func(t *testing.T, w http.ResponseWriter) { reply(w, 502, `<html>`) }, 1, 2, 2, nil},
		{"504 body code", func(t *testing.T, w http.ResponseWriter) { reply(w, 200, `{"status_code":"504"}`) }, 1, 2, 2, nil},
		{"network error then success", func(t *testing.T, w http.ResponseWriter) { hangUp(t, w) }, 2, 2, 3, nil},
		{"stops at MaxRetries", func(t *testing.T, w http.ResponseWriter) { reply(w, 503, `{"status_code":"503"}`) }, 99, 2, 3, ErrUpstreamUnavailable},
		{"MaxRetries 5", func(t *testing.T, w http.ResponseWriter) { reply(w, 503, `{"status_code":"503"}`) }, 99, 5, 6, ErrUpstreamUnavailable},
		{"retries disabled", func(t *testing.T, w http.ResponseWriter) { reply(w, 503, `{"status_code":"503"}`) }, 99, -1, 1, ErrUpstreamUnavailable},
		{"404 is not retried", func(t *testing.T, w http.ResponseWriter) { reply(w, 200, `{"status_code":"404"}`) }, 99, 2, 1, ErrNotFound},
		{"400 is not retried", func(t *testing.T, w http.ResponseWriter) { reply(w, 400, `{"status_code":"400"}`) }, 99, 2, 1, ErrValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n <= tt.failures {
					tt.fail(t, w)
					return
				}
				reply(w, 200, `{"status_code":"201","transaction_status":"pending"}`)
			})
			c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = tt.retries })
			res, err := c.Status(context.Background(), "order-1")
			if rec.calls() != tt.wantCalls {
				t.Errorf("calls = %d, want %d", rec.calls(), tt.wantCalls)
			}
			if tt.wantErr == nil {
				if err != nil || res.TransactionStatus != "pending" {
					t.Fatalf("res %+v err %v", res, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || errors.Is(err, ErrOutcomeUnknown) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestNoRetryForUnkeyedPost(t *testing.T) {
	tests := []struct {
		name        string
		fail        func(t *testing.T, w http.ResponseWriter)
		wantUnknown bool
	}{
		{"503", func(t *testing.T, w http.ResponseWriter) { reply(w, 503, `{"status_code":"503"}`) }, false},
		{"429", func(t *testing.T, w http.ResponseWriter) { reply(w, 200, `{"status_code":"429"}`) }, false},
		{"network error", func(t *testing.T, w http.ResponseWriter) { hangUp(t, w) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { tt.fail(t, w) })
			c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = 3 })
			_, err := c.Charge(context.Background(), testCharge("order-1"))
			if rec.calls() != 1 {
				t.Errorf("calls = %d, want 1", rec.calls())
			}
			if err == nil || errors.Is(err, ErrOutcomeUnknown) != tt.wantUnknown {
				t.Errorf("err = %v, want unknown outcome %v", err, tt.wantUnknown)
			}
		})
	}
}

func TestKeyedPostRetriedWithSameKey(t *testing.T) {
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			hangUp(t, w)
		case 2:
			reply(w, 503, `{"status_code":"503"}`)
		default:
			reply(w, 200, chargeCreated)
		}
	})
	c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = 3 })
	res, err := c.Charge(context.Background(), testCharge("order-1"), WithIdempotencyKey("order-1-charge"))
	if err != nil {
		t.Fatal(err)
	}
	if res.TransactionStatus != "pending" {
		t.Errorf("TransactionStatus = %q", res.TransactionStatus)
	}
	reqs := rec.all()
	if len(reqs) != 3 {
		t.Fatalf("calls = %d, want 3", len(reqs))
	}
	for i, r := range reqs {
		if got := r.Header.Get("Idempotency-Key"); got != "order-1-charge" {
			t.Errorf("attempt %d: Idempotency-Key = %q", i+1, got)
		}
		assertSameJSON(t, r.Body, reqs[0].Body)
	}
}

// TestKeyedPostExhausted: a keyed POST that kept failing after a network
// error may have been processed by the first attempt.
func TestKeyedPostExhausted(t *testing.T) {
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			hangUp(t, w)
			return
		}
		reply(w, 503, `{"status_code":"503","status_message":"Bank/partner is experiencing connection issue."}`)
	})
	c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = 2 })
	_, err := c.Refund(context.Background(), "order-1", RefundRequest{RefundKey: "r1"}, WithIdempotencyKey("order-1-refund-1"))
	if rec.calls() != 3 {
		t.Errorf("calls = %d", rec.calls())
	}
	var apiErr *APIError
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrUpstreamUnavailable) || !errors.As(err, &apiErr) {
		t.Errorf("err = %v", err)
	}
}

func TestInFlight202(t *testing.T) {
	t.Run("retried until the result", func(t *testing.T) {
		rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
			switch n {
			case 1:
				reply(w, 202, ``)
			case 2:
				reply(w, 202, `{"message":"request is being processed"}`)
			default:
				reply(w, 200, chargeCreated)
			}
		})
		c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = 3 })
		res, err := c.Charge(context.Background(), testCharge("order-1"), WithIdempotencyKey("k-1"))
		if err != nil || res.TransactionStatus != "pending" {
			t.Fatalf("res %+v err %v", res, err)
		}
		if rec.calls() != 3 {
			t.Errorf("calls = %d", rec.calls())
		}
	})
	t.Run("exhausted is unknown", func(t *testing.T) {
		rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 202, `{}`) })
		c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = 2 })
		_, err := c.Charge(context.Background(), testCharge("order-1"), WithIdempotencyKey("k-1"))
		if !errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "still being processed") {
			t.Errorf("err = %v", err)
		}
		if rec.calls() != 3 {
			t.Errorf("calls = %d", rec.calls())
		}
	})
	t.Run("a 202 deny is a result", func(t *testing.T) {
		rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
			reply(w, 202, `{"status_code":"202","transaction_status":"deny","status_message":"Deny by Bank [CIMB] with code [05] and message [Do not honour]"}`)
		})
		c := newTestClient(t, srv.URL, nil)
		res, err := c.Charge(context.Background(), testCharge("order-1"), WithIdempotencyKey("k-1"))
		if err != nil || res.TransactionStatus != "deny" || rec.calls() != 1 {
			t.Errorf("res %+v err %v calls %d", res, err, rec.calls())
		}
	})
}

func TestNoRetryAfterCancel(t *testing.T) {
	t.Run("cancel during backoff", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
			reply(w, 503, `{"status_code":"503"}`)
		})
		// By then the client is waiting 10s before the next attempt.
		time.AfterFunc(300*time.Millisecond, cancel)
		c := newTestClient(t, srv.URL, func(c *Config) {
			c.RetryWaitMin, c.RetryWaitMax, c.MaxRetries = 10*time.Second, 10*time.Second, 5
		})
		start := time.Now()
		_, err := c.Status(ctx, "order-1")
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("returned after %v", d)
		}
		if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrUpstreamUnavailable) {
			t.Errorf("err = %v", err)
		}
		if errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("a GET cannot have an unknown outcome")
		}
		if rec.calls() != 1 {
			t.Errorf("calls = %d", rec.calls())
		}
	})
	t.Run("cancel during backoff after a maybe-processed POST", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { hangUp(t, w) })
		time.AfterFunc(300*time.Millisecond, cancel)
		c := newTestClient(t, srv.URL, func(c *Config) {
			c.RetryWaitMin, c.RetryWaitMax = 10*time.Second, 10*time.Second
		})
		_, err := c.Charge(ctx, testCharge("o"), WithIdempotencyKey("k"))
		if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("cancelled before sending", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, chargeCreated) })
		c := newTestClient(t, srv.URL, nil)
		_, err := c.Charge(ctx, testCharge("o"))
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("err = %v", err)
		}
		if rec.calls() != 0 {
			t.Errorf("calls = %d", rec.calls())
		}
	})
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name     string
		header   string
		waitMax  time.Duration
		min, max time.Duration
	}{
		{"honoured", "1", 3 * time.Second, 900 * time.Millisecond, 2500 * time.Millisecond},
		{"capped by RetryWaitMax", "30", 50 * time.Millisecond, 0, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					w.Header().Set("Retry-After", tt.header)
					reply(w, 429, `{"status_code":"429","status_message":"rate limit"}`)
					return
				}
				reply(w, 200, `{"status_code":"200","transaction_status":"settlement"}`)
			})
			c := newTestClient(t, srv.URL, func(c *Config) { c.RetryWaitMin, c.RetryWaitMax = time.Millisecond, tt.waitMax })
			start := time.Now()
			if _, err := c.Status(context.Background(), "o"); err != nil {
				t.Fatal(err)
			}
			d := time.Since(start)
			if d < tt.min || d > tt.max {
				t.Errorf("took %v, want between %v and %v", d, tt.min, tt.max)
			}
			if rec.calls() != 2 {
				t.Errorf("calls = %d", rec.calls())
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"99999999999999", time.Hour, true},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	c := newTestClient(t, "http://x.invalid", func(c *Config) {
		c.RetryWaitMin, c.RetryWaitMax = 100*time.Millisecond, time.Second
	})
	for n := 1; n <= 40; n++ {
		hi := min(100*time.Millisecond<<min(n-1, 20), time.Second)
		for range 50 {
			d := c.backoff(n, 0, false)
			if d < 100*time.Millisecond || d > hi {
				t.Fatalf("backoff(%d) = %v, want within [100ms, %v]", n, d, hi)
			}
		}
	}
}

func TestAttemptTimeoutRetriedForReads(t *testing.T) {
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		reply(w, 200, `{"status_code":"200","transaction_status":"settlement"}`)
	})
	c := newTestClient(t, srv.URL, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	res, err := c.Status(context.Background(), "o")
	if err != nil || res.TransactionStatus != "settlement" || rec.calls() != 2 {
		t.Errorf("res %+v err %v calls %d", res, err, rec.calls())
	}
}

// TestChargeTimeout: a charge that times out has an unknown outcome.
func TestChargeTimeout(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		cfg  func(*Config)
	}{
		{"attempt timeout", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			func(c *Config) { c.Timeout = 100 * time.Millisecond }},
		{"caller deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, nil},
		{"keyed, caller deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, func(c *Config) { c.Timeout = 40 * time.Millisecond }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			})
			c := newTestClient(t, srv.URL, tt.cfg)
			ctx, cancel := tt.ctx()
			defer cancel()
			var opts []CallOption
			if strings.HasPrefix(tt.name, "keyed") {
				opts = append(opts, WithIdempotencyKey("k"))
			}
			start := time.Now()
			_, err := c.Charge(ctx, testCharge("order-1"), opts...)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v", err)
			}
			if errors.Unwrap(err) == nil {
				t.Errorf("cause not kept")
			}
			if !strings.Contains(err.Error(), "outcome unknown") || !strings.Contains(err.Error(), "Status") {
				t.Errorf("message = %q", err.Error())
			}
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				t.Errorf("no answer, yet an *APIError")
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

// TestConnectionRefused: nothing reached Midtrans, so the outcome is known
// (not done) even for a POST.
func TestConnectionRefused(t *testing.T) {
	_, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	url := srv.URL
	srv.Close()
	c := newTestClient(t, url, func(c *Config) { c.MaxRetries = -1 })
	_, err := c.Charge(context.Background(), testCharge("o"))
	if err == nil || errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "not sent") {
		t.Errorf("err = %v", err)
	}
}

// TestDuplicateOnRepeatIsUnknown: a 406 on a retried charge means an
// earlier attempt probably went through.
func TestDuplicateOnRepeatIsUnknown(t *testing.T) {
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			reply(w, 200, `{"status_code":"503","status_message":"Bank/partner is experiencing connection issue."}`)
			return
		}
		reply(w, 200, `{"status_code":"406","status_message":"order_id has been paid and utilized, please use another order ID"}`)
	})
	c := newTestClient(t, srv.URL, nil)
	_, err := c.Charge(context.Background(), testCharge("o"), WithIdempotencyKey("k"))
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrDuplicateOrder) || rec.calls() != 2 {
		t.Errorf("err = %v, calls %d", err, rec.calls())
	}
	// On a first attempt a 406 is a plain duplicate.
	_, srv2 := serve(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, `{"status_code":"406","status_message":"order_id has been paid and utilized"}`)
	})
	c2 := newTestClient(t, srv2.URL, nil)
	_, err = c2.Charge(context.Background(), testCharge("o"), WithIdempotencyKey("k"))
	assertKind(t, err, ErrDuplicateOrder)
}
