package midtrans

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testServerKey looks like a sandbox key; tests grep every output for it
// and for its base64 form.
const testServerKey = "SB-Mid-server-T3stK3yN0tF0rUs3"

func testAuthHeader() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(testServerKey+":"))
}

// assertNoSecret fails when s contains the server key in any form.
func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, needle := range []string{testServerKey, base64.StdEncoding.EncodeToString([]byte(testServerKey + ":")), "T3stK3y"} {
		if strings.Contains(s, needle) {
			t.Errorf("%s leaks the server key: %s", what, s)
		}
	}
}

// newTestClient returns a Client aimed at url with fast retries. mod may
// change the Config before New.
func newTestClient(t *testing.T, url string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		ServerKey:    testServerKey,
		BaseURL:      url,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond,
		Timeout:      5 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// recorded is one request seen by a test server.
type recorded struct {
	Method  string
	Path    string // unescaped
	RawPath string // as sent
	Query   string
	Header  http.Header
	Body    []byte
}

// recorder is a test server handler that records requests and answers
// from a function of the attempt number (1-based).
type recorder struct {
	mu       sync.Mutex
	requests []recorded
	count    atomic.Int32
	answer   func(w http.ResponseWriter, r *http.Request, n int)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body bytes.Buffer
	body.ReadFrom(r.Body)
	n := int(rec.count.Add(1))
	rec.mu.Lock()
	rec.requests = append(rec.requests, recorded{
		Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: body.Bytes(),
	})
	rec.mu.Unlock()
	rec.answer(w, r, n)
}

func (rec *recorder) all() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.requests...)
}

func (rec *recorder) calls() int { return int(rec.count.Load()) }

// serve starts a test server answering with answer.
func serve(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int)) (*recorder, *httptest.Server) {
	t.Helper()
	rec := &recorder{answer: answer}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, srv
}

// reply writes status and body (a string, []byte or a value to encode).
func reply(w http.ResponseWriter, status int, body any) {
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		b, _ = json.Marshal(v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// hangUp closes the connection without an answer: a network error after
// the request was sent.
func hangUp(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("response writer cannot hijack")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

// syncBuffer is a goroutine-safe log sink.
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

func debugLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

const chargeCreated = `{"status_code":"201","status_message":"Success","transaction_id":"tx-1","order_id":"order-1","gross_amount":"10000.00","payment_type":"bank_transfer","transaction_status":"pending"}`

func testCharge(orderID string) *ChargeRequest {
	return &ChargeRequest{
		PaymentType:        "bank_transfer",
		TransactionDetails: TransactionDetails{OrderID: orderID, GrossAmount: 10000},
		BankTransfer:       &BankTransfer{Bank: "bca"},
	}
}
