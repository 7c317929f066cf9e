package midtranstest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fastRetries keeps retry tests quick while keeping the schedule's shape.
var fastRetries = []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond}

// newSim starts a simulator closed at the end of the test.
func newSim(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.RetryDelays == nil {
		cfg.RetryDelays = fastRetries
	}
	s := NewServer(cfg)
	t.Cleanup(s.Close)
	return s
}

// api is a plain net/http client of the simulator (deliberately not the module's client).
type api struct {
	t    *testing.T
	base string
	key  string
	hc   *http.Client
}

func newAPI(t *testing.T, s *Server) *api {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &api{t: t, base: s.URL(), key: s.ServerKey(), hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// do sends body (string/[]byte raw, anything else JSON-encoded) with extra headers given
// as name, value pairs. It returns the HTTP status and raw body.
func (a *api) do(method, path string, body any, hdr ...string) (int, []byte) {
	a.t.Helper()
	code, b, err := a.try(context.Background(), method, path, body, hdr...)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	return code, b
}

func (a *api) try(ctx context.Context, method, path string, body any, hdr ...string) (int, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(a.key+":")))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// doJSON is do plus decoding the answer into a map.
func (a *api) doJSON(method, path string, body any, hdr ...string) (int, map[string]any) {
	a.t.Helper()
	code, b := a.do(method, path, body, hdr...)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		a.t.Fatalf("%s %s: answer is not a JSON object: %v: %s", method, path, err, b)
	}
	return code, m
}

// charge posts a charge and fails the test unless the body status_code is want.
func (a *api) charge(req map[string]any, want string, hdr ...string) map[string]any {
	a.t.Helper()
	code, m := a.doJSON("POST", "/v2/charge", req, hdr...)
	if code != http.StatusOK || m["status_code"] != want {
		a.t.Fatalf("charge: HTTP %d, body %v; want status_code %s", code, m, want)
	}
	return m
}

// vaCharge is a minimal bank transfer charge.
func vaCharge(orderID string, amount int64, bank string) map[string]any {
	return map[string]any{
		"payment_type":        "bank_transfer",
		"transaction_details": map[string]any{"order_id": orderID, "gross_amount": amount},
		"bank_transfer":       map[string]any{"bank": bank},
	}
}

// cardCharge is a card charge with a simulator token for number.
func cardCharge(orderID string, amount int64, number string, extra map[string]any) map[string]any {
	cc := map[string]any{"token_id": CardToken(number)}
	for k, v := range extra {
		cc[k] = v
	}
	return map[string]any{
		"payment_type":        "credit_card",
		"transaction_details": map[string]any{"order_id": orderID, "gross_amount": amount},
		"credit_card":         cc,
	}
}

// sink is a notification receiver answering a configurable status.
type sink struct {
	srv    *httptest.Server
	mu     sync.Mutex
	code   int
	bodies [][]byte
	hdrs   []http.Header
}

func newSink(t *testing.T, code int) *sink {
	k := &sink{code: code}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		k.mu.Lock()
		k.bodies = append(k.bodies, b)
		k.hdrs = append(k.hdrs, r.Header.Clone())
		code := k.code
		k.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(k.srv.Close)
	return k
}

func (k *sink) received() []map[string]any {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]map[string]any, 0, len(k.bodies))
	for _, b := range k.bodies {
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		out = append(out, m)
	}
	return out
}

func waitIdle(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatalf("WaitIdle: %v", err)
	}
}

// jsonType names a decoded JSON value's type.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "?"
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// wib is Asia/Jakarta: Midtrans renders every timestamp there without a
// zone suffix (the server adds seven hours to UTC instead of keeping one).
func wib() *time.Location { return time.FixedZone("WIB", 7*3600) }
