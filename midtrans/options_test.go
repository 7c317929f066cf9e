package midtrans

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestCallOptionsRejected(t *testing.T) {
	tests := []struct {
		name   string
		opt    CallOption
		option string // the option the error must name
	}{
		{"empty key", WithIdempotencyKey(""), "WithIdempotencyKey"},
		{"37-char key", WithIdempotencyKey(strings.Repeat("a", 37)), "WithIdempotencyKey"},
		{"key with space", WithIdempotencyKey("order 1"), "WithIdempotencyKey"},
		{"key with newline", WithIdempotencyKey("order\n1"), "WithIdempotencyKey"},
		{"non-ASCII key", WithIdempotencyKey("pesanan-ü"), "WithIdempotencyKey"},
		{"no override URL", WithOverrideNotification(), "WithOverrideNotification"},
		{"four override URLs", WithOverrideNotification("https://a.test", "https://b.test", "https://c.test", "https://d.test"), "WithOverrideNotification"},
		{"relative override URL", WithOverrideNotification("/notify"), "WithOverrideNotification"},
		{"ftp override URL", WithOverrideNotification("ftp://a.test/n"), "WithOverrideNotification"},
		{"comma in override URL", WithOverrideNotification("https://a.test/n?x=1,2"), "WithOverrideNotification"},
		{"space in append URL", WithAppendNotification("https://a.test/ n"), "WithAppendNotification"},
		{"no append URL", WithAppendNotification(), "WithAppendNotification"},
		{"append URL without host", WithAppendNotification("https:///n"), "WithAppendNotification"},
		{"Authorization header", WithHeader("Authorization", "Basic eA=="), "WithHeader"},
		{"authorization header lower case", WithHeader("authorization", "Basic eA=="), "WithHeader"},
		{"Idempotency-Key header", WithHeader("idempotency-key", "k"), "WithHeader"},
		{"override header", WithHeader("X-Override-Notification", "https://a.test"), "WithHeader"},
		{"Host header", WithHeader("Host", "evil.test"), "WithHeader"},
		{"Content-Length header", WithHeader("Content-Length", "1"), "WithHeader"},
		{"bad header name", WithHeader("X Bad", "v"), "WithHeader"},
		{"empty header name", WithHeader("", "v"), "WithHeader"},
		{"header value with CRLF", WithHeader("X-Note", "a\r\nAuthorization: x"), "WithHeader"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, chargeCreated) })
			c := newTestClient(t, srv.URL, nil)
			_, err := c.Charge(context.Background(), testCharge("o"), WithIdempotencyKey("fine"), tt.opt)
			if !errors.Is(err, ErrInvalidOption) {
				t.Fatalf("err = %v, want ErrInvalidOption", err)
			}
			if !strings.Contains(err.Error(), tt.option) {
				t.Errorf("err %q does not name %s", err, tt.option)
			}
			if _, err := c.Status(context.Background(), "o", tt.opt); !errors.Is(err, ErrInvalidOption) {
				t.Errorf("status: err = %v", err)
			}
			if rec.calls() != 0 {
				t.Errorf("%d requests sent", rec.calls())
			}
		})
	}
}

func TestCallOptionsSent(t *testing.T) {
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, chargeCreated) })
	c := newTestClient(t, srv.URL, nil)
	_, err := c.Charge(context.Background(), testCharge("o"),
		nil, // ignored
		WithIdempotencyKey("first"),
		WithIdempotencyKey("550e8400-e29b-41d4-a716-446655440000"), // 36 chars, the later wins
		WithOverrideNotification("https://shop.test/notify", "http://backup.test/n?src=midtrans"),
		WithAppendNotification("https://audit.test/n"),
		WithHeader("transaction-source", "SNAP_API"),
		WithHeader("X-Payment-Locale", "en-EN"),
		WithHeader("User-Agent", "custom/2"),
	)
	if err != nil {
		t.Fatal(err)
	}
	h := rec.all()[0].Header
	want := map[string]string{
		"Idempotency-Key":         "550e8400-e29b-41d4-a716-446655440000",
		"X-Override-Notification": "https://shop.test/notify,http://backup.test/n?src=midtrans",
		"X-Append-Notification":   "https://audit.test/n",
		"Transaction-Source":      "SNAP_API",
		"X-Payment-Locale":        "en-EN",
		"User-Agent":              "custom/2",
		"Authorization":           testAuthHeader(),
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

// TestReplacedHeaderStaysWithItsCall: every request starts from the
// Client's header template, so a header one call replaces is back to the
// default on the next.
func TestReplacedHeaderStaysWithItsCall(t *testing.T) {
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, chargeCreated) })
	c := newTestClient(t, srv.URL, nil)
	ctx := context.Background()
	if _, err := c.Charge(ctx, testCharge("o1"), WithHeader("Accept", "text/plain"), WithHeader("User-Agent", "custom/2")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Charge(ctx, testCharge("o2")); err != nil {
		t.Fatal(err)
	}
	calls := rec.all()
	if h := calls[0].Header; h.Get("Accept") != "text/plain" || h.Get("User-Agent") != "custom/2" {
		t.Errorf("first call: Accept %q, User-Agent %q", h.Get("Accept"), h.Get("User-Agent"))
	}
	if h := calls[1].Header; h.Get("Accept") != "application/json" || h.Get("User-Agent") == "custom/2" ||
		h.Get("Authorization") != testAuthHeader() || len(h.Values("Accept")) != 1 {
		t.Errorf("second call: Accept %q, User-Agent %q, Authorization %q", h.Values("Accept"), h.Get("User-Agent"), h.Get("Authorization"))
	}
}

// TestConcurrentCalls: options of concurrent calls never mix, because
// each call builds its own request. Run with -race.
func TestConcurrentCalls(t *testing.T) {
	const n = 50
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		reply(w, 200, fmt.Sprintf(`{"status_code":"201","transaction_status":"pending","order_id":%q}`, r.Header.Get("X-Call")))
	})
	c := newTestClient(t, srv.URL, nil)

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("call-%d", i)
			opts := []CallOption{WithIdempotencyKey("key-" + id), WithHeader("X-Call", id)}
			if i%2 == 0 {
				opts = append(opts, WithOverrideNotification("https://shop.test/"+id))
			}
			var res *TransactionResponse
			var err error
			if i%3 == 0 {
				res, err = c.Cancel(context.Background(), id, opts...)
			} else {
				res, err = c.Charge(context.Background(), testCharge(id), opts...)
			}
			if err != nil {
				errs <- err
				return
			}
			if res.OrderID != id {
				errs <- fmt.Errorf("%s got the answer of %s", id, res.OrderID)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	reqs := rec.all()
	if len(reqs) != n {
		t.Fatalf("requests = %d", len(reqs))
	}
	for _, r := range reqs {
		id := r.Header.Get("X-Call")
		var i int
		if _, err := fmt.Sscanf(id, "call-%d", &i); err != nil {
			t.Fatalf("X-Call = %q", id)
		}
		if got := r.Header.Get("Idempotency-Key"); got != "key-"+id {
			t.Errorf("%s carried Idempotency-Key %q", id, got)
		}
		if got, want := r.Header.Get("X-Override-Notification"), map[bool]string{true: "https://shop.test/" + id, false: ""}[i%2 == 0]; got != want {
			t.Errorf("%s carried X-Override-Notification %q, want %q", id, got, want)
		}
		if len(r.Header.Values("Idempotency-Key")) != 1 || len(r.Header.Values("X-Call")) != 1 {
			t.Errorf("%s carried repeated headers: %v", id, r.Header)
		}
		if i%3 == 0 {
			if r.Path != "/v2/"+id+"/cancel" {
				t.Errorf("%s went to %s", id, r.Path)
			}
		} else if !strings.Contains(string(r.Body), `"order_id":"`+id+`"`) {
			t.Errorf("%s sent body %s", id, r.Body)
		}
	}
}
