package midtrans

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"strings"
	"testing"

	"github.com/nusapay/payments/internal/fixture"
)

// cassette is the shape of recorded/vcr-*.json: a real sandbox exchange.
type cassette struct {
	Request struct {
		Method string          `json:"method"`
		URI    string          `json:"uri"`
		Body   json.RawMessage `json:"body"`
	} `json:"request"`
	Response struct {
		HTTPStatus int             `json:"http_status"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
}

// TestReplayRecordings replays every real sandbox recording against the
// client: the request must go to the recorded method and path, and the
// recorded answer must give the expected result or error kind.
func TestReplayRecordings(t *testing.T) {
	type want struct {
		kind   error  // expected error kind; nil for a result
		status string // expected TransactionStatus of a result
		check  func(t *testing.T, r *TransactionResponse)
	}
	wants := map[string]want{
		"vcr-cancel-not-found-http200.json":  {kind: ErrNotFound},
		"vcr-cancel-permata-success.json":    {status: "cancel"},
		"vcr-capture-not-found-http200.json": {kind: ErrNotFound},
		"vcr-charge-permata.json": {status: "pending", check: func(t *testing.T, r *TransactionResponse) {
			if r.PermataVANumber != "8778006742354093" {
				t.Errorf("PermataVANumber = %q", r.PermataVANumber)
			}
			if r.StatusCode != "201" || r.PaymentType != "bank_transfer" {
				t.Errorf("StatusCode %q PaymentType %q", r.StatusCode, r.PaymentType)
			}
		}},
		"vcr-expire-not-found-http200.json": {kind: ErrNotFound},
		"vcr-expire-success-407.json": {status: "expire", check: func(t *testing.T, r *TransactionResponse) {
			if r.StatusCode != "407" {
				t.Errorf("StatusCode = %q, want 407", r.StatusCode)
			}
		}},
		"vcr-status-credit-card-settlement.json": {status: "settlement", check: func(t *testing.T, r *TransactionResponse) {
			if r.FraudStatus != "accept" || r.MaskedCard != "481111-1114" || r.SignatureKey == "" {
				t.Errorf("card fields: %+v", r)
			}
		}},
		"vcr-status-not-found-http200.json": {kind: ErrNotFound},
		"vcr-status-permata-pending.json": {status: "pending", check: func(t *testing.T, r *TransactionResponse) {
			if r.OrderID != "2016-10-20 12:39:16 +0700" || r.PermataVANumber == "" {
				t.Errorf("OrderID %q PermataVANumber %q", r.OrderID, r.PermataVANumber)
			}
		}},
		"vcr-status-unauthorized-http200.json": {kind: ErrUnauthorized},
	}

	for _, name := range fixture.Glob(t, "recorded/vcr-*.json") {
		t.Run(path.Base(name), func(t *testing.T) {
			w, ok := wants[path.Base(name)]
			if !ok {
				t.Fatalf("no expectation for %s; add one", name)
			}
			var cas cassette
			if err := json.Unmarshal(fixture.Bytes(t, name), &cas); err != nil {
				t.Fatal(err)
			}
			recURL, err := url.Parse(cas.Request.URI)
			if err != nil {
				t.Fatal(err)
			}
			rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				reply(w, cas.Response.HTTPStatus, []byte(cas.Response.Body))
			})
			c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = -1 })

			res, err := replay(t, c, cas.Request.Method, recURL.Path, cas.Request.Body)

			reqs := rec.all()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			got := reqs[0]
			if got.Method != cas.Request.Method {
				t.Errorf("method = %s, want %s", got.Method, cas.Request.Method)
			}
			if got.Path != recURL.Path {
				t.Errorf("path = %q, want %q", got.Path, recURL.Path)
			}
			if got.RawPath != recURL.EscapedPath() {
				t.Errorf("escaped path = %q, want %q", got.RawPath, recURL.EscapedPath())
			}
			if got.Header.Get("Authorization") != testAuthHeader() {
				t.Errorf("Authorization header wrong")
			}
			if got.Method == http.MethodPost {
				assertSameJSON(t, got.Body, cas.Request.Body)
			} else if len(got.Body) != 0 {
				t.Errorf("GET sent a body: %s", got.Body)
			}

			if w.kind != nil {
				if !errors.Is(err, w.kind) {
					t.Fatalf("err = %v, want kind %v", err, w.kind)
				}
				var apiErr *APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("err %T is not an *APIError", err)
				}
				if apiErr.HTTPStatus != cas.Response.HTTPStatus {
					t.Errorf("HTTPStatus = %d, want %d", apiErr.HTTPStatus, cas.Response.HTTPStatus)
				}
				if !bytes.Equal(apiErr.Body, cas.Response.Body) {
					t.Errorf("Body = %s", apiErr.Body)
				}
				if errors.Is(err, ErrOutcomeUnknown) {
					t.Errorf("a definite answer must not be an unknown outcome")
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want a result", err)
			}
			if res.TransactionStatus != w.status {
				t.Errorf("TransactionStatus = %q, want %q", res.TransactionStatus, w.status)
			}
			if res.HTTPStatus != cas.Response.HTTPStatus {
				t.Errorf("HTTPStatus = %d", res.HTTPStatus)
			}
			if !bytes.Equal(res.Raw, cas.Response.Body) {
				t.Errorf("Raw differs from the body")
			}
			if w.check != nil {
				w.check(t, res)
			}
		})
	}
}

// replay makes the client call that matches a recorded request.
func replay(t *testing.T, c *Client, method, p string, body json.RawMessage) (*TransactionResponse, error) {
	t.Helper()
	ctx := context.Background()
	switch {
	case method == http.MethodPost && p == "/v2/charge":
		var req ChargeRequest
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatal(err)
		}
		return c.Charge(ctx, &req)
	case method == http.MethodPost && p == "/v2/capture":
		var req CaptureRequest
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatal(err)
		}
		return c.Capture(ctx, req)
	}
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		t.Fatalf("unexpected path %q", p)
	}
	i := strings.LastIndex(rest, "/")
	id, action := rest[:i], rest[i+1:]
	switch method + " " + action {
	case "GET status":
		return c.Status(ctx, id)
	case "POST cancel":
		return c.Cancel(ctx, id)
	case "POST expire":
		return c.Expire(ctx, id)
	case "POST approve":
		return c.Approve(ctx, id)
	case "POST deny":
		return c.Deny(ctx, id)
	}
	t.Fatalf("no client call for %s %s", method, p)
	return nil, nil
}

// assertSameJSON compares two JSON documents by value. A recorded null
// body stands for "no meaningful body", which the client sends as {}.
func assertSameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	if len(bytes.TrimSpace(want)) == 0 || string(bytes.TrimSpace(want)) == "null" {
		want = []byte("{}")
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("sent body is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body = %s, want %s", got, want)
	}
}
