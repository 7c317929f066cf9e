package midtrans

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/nusapay/payments/internal/fixture"
)

var allKinds = []error{
	ErrUnauthorized, ErrChannelInactive, ErrNotFound, ErrDuplicateOrder, ErrTokenInvalid, ErrCannotModify,
	ErrRefundRejected, ErrRateLimited, ErrValidation, ErrUpstreamUnavailable, ErrMerchantBlocked, ErrOutcomeUnknown,
}

// assertKind checks that err matches want and no other kind.
func assertKind(t *testing.T, err, want error) {
	t.Helper()
	for _, k := range allKinds {
		if got := errors.Is(err, k); got != (k == want) {
			t.Errorf("errors.Is(err, %v) = %v; err = %v", k, got, err)
		}
	}
}

func TestErrorMapping(t *testing.T) {
	codes := []struct {
		code      int
		kind      error
		temporary bool
	}{
		{400, ErrValidation, false},
		{401, ErrUnauthorized, false},
		{402, ErrChannelInactive, false},
		{404, ErrNotFound, false},
		{406, ErrDuplicateOrder, false},
		{408, ErrValidation, false},
		{410, ErrMerchantBlocked, false},
		{411, ErrTokenInvalid, false},
		{412, ErrCannotModify, false},
		{413, ErrValidation, false},
		{414, ErrRefundRejected, false},
		{429, ErrRateLimited, true},
		{500, ErrUpstreamUnavailable, true},
		{502, ErrUpstreamUnavailable, true},
		{503, ErrUpstreamUnavailable, true},
		{504, ErrUpstreamUnavailable, true},
		{300, nil, false},
		{403, nil, false},
		{409, nil, false},
		{505, nil, false},
	}
	variants := []struct {
		name       string
		httpStatus func(code int) int
		body       func(code int) string
		hasBody    bool
	}{
		{"body code under http 200", func(int) int { return 200 }, func(code int) string {
			return fmt.Sprintf(`{"status_code":"%d","status_message":"msg %d","id":"trace-%d","validation_messages":["v1","v2"]}`, code, code, code)
		}, true},
		{"numeric body code under http 200", func(int) int { return 200 }, func(code int) string {
			return fmt.Sprintf(`{"status_code":%d,"status_message":"msg %d","id":"trace-%d","validation_messages":["v1","v2"]}`, code, code, code)
		}, true},
		{"body code under real http code", func(code int) int { return code }, func(code int) string {
			return fmt.Sprintf(`{"status_code":"%d","status_message":"msg %d","id":"trace-%d","validation_messages":["v1","v2"]}`, code, code, code)
		}, true},
		{"real http code, html body", func(code int) int { return code }, func(int) string {
			return `<html>bad gateway</html>`
		}, false},
	}
	for _, v := range variants {
		for _, tc := range codes {
			if !v.hasBody && tc.code < 400 {
				continue // a 3xx without a body code is covered in TestRedirectIsNotFollowed
			}
			t.Run(fmt.Sprintf("%s/%d", v.name, tc.code), func(t *testing.T) {
				body := v.body(tc.code)
				status := v.httpStatus(tc.code)
				_, srv := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, status, body) })
				c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = -1 })

				res, err := c.Status(context.Background(), "order-1")
				if res != nil {
					t.Fatalf("got a result %+v, want an error", res)
				}
				assertKind(t, err, tc.kind)
				var apiErr *APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("err %T is not an *APIError: %v", err, err)
				}
				if apiErr.Code != tc.code || apiErr.HTTPStatus != status || apiErr.Op != "status" {
					t.Errorf("Code %d HTTPStatus %d Op %q", apiErr.Code, apiErr.HTTPStatus, apiErr.Op)
				}
				if apiErr.Temporary() != tc.temporary {
					t.Errorf("Temporary() = %v", apiErr.Temporary())
				}
				if !bytes.Equal(apiErr.Body, []byte(body)) {
					t.Errorf("Body = %q", apiErr.Body)
				}
				wantMsg := fmt.Sprintf("midtrans status: %d ", tc.code)
				if v.hasBody {
					if apiErr.Message != fmt.Sprintf("msg %d", tc.code) || apiErr.RequestID != fmt.Sprintf("trace-%d", tc.code) ||
						!reflect.DeepEqual(apiErr.ValidationMessages, []string{"v1", "v2"}) {
						t.Errorf("Message %q RequestID %q ValidationMessages %q", apiErr.Message, apiErr.RequestID, apiErr.ValidationMessages)
					}
					wantMsg += fmt.Sprintf("msg %d [v1; v2] (http %d)", tc.code, status)
				} else {
					wantMsg += http.StatusText(tc.code) + fmt.Sprintf(" (http %d)", status)
				}
				if err.Error() != wantMsg {
					t.Errorf("Error() = %q, want %q", err.Error(), wantMsg)
				}
				assertNoSecret(t, "error", err.Error())
			})
		}
	}
}

// TestResultCodes: 200, 201, 202 and 407 in the body are results, whatever
// the HTTP status; without a body code a 2xx HTTP status is a result.
func TestResultCodes(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   string // TransactionStatus
	}{
		{200, `{"status_code":"200","transaction_status":"settlement"}`, "settlement"},
		{200, `{"status_code":"201","transaction_status":"pending"}`, "pending"},
		{200, `{"status_code":"202","transaction_status":"deny"}`, "deny"},
		{200, `{"status_code":"407","transaction_status":"expire"}`, "expire"},
		{201, `{"status_code":201,"transaction_status":"pending"}`, "pending"},
		{500, `{"status_code":"200","transaction_status":"settlement"}`, "settlement"}, // the body decides
		{200, `{"transaction_status":"capture"}`, "capture"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status)+" "+tt.body, func(t *testing.T) {
			_, srv := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, tt.status, tt.body) })
			c := newTestClient(t, srv.URL, nil)
			res, err := c.Status(context.Background(), "order-1")
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if res.TransactionStatus != tt.want || res.HTTPStatus != tt.status || string(res.Raw) != tt.body {
				t.Errorf("TransactionStatus %q HTTPStatus %d Raw %s", res.TransactionStatus, res.HTTPStatus, res.Raw)
			}
		})
	}
}

// TestErrorFixtures serves every docs error sample the way the docs and
// recordings show it (HTTP 200, or the real code for the cancel 401).
func TestErrorFixtures(t *testing.T) {
	for _, name := range fixture.Glob(t, "docs/error-*.json") {
		t.Run(path.Base(name), func(t *testing.T) {
			body := fixture.Bytes(t, name)
			var env struct {
				StatusCode string `json:"status_code"`
			}
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatal(err)
			}
			code, _ := strconv.Atoi(env.StatusCode)
			status := 200
			if strings.Contains(name, "http401") {
				status = 401
			}
			_, srv := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, status, body) })
			c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = -1 })
			_, err := c.Refund(context.Background(), "order-1", RefundRequest{Amount: 5000})
			assertKind(t, err, kindOf(code))
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Code != code || apiErr.Message == "" {
				t.Fatalf("err = %#v", err)
			}
			if !strings.Contains(err.Error(), apiErr.Message) {
				t.Errorf("Error() %q lacks the message", err.Error())
			}
		})
	}
}

func TestSnapErrors(t *testing.T) {
	tests := []struct {
		file   string
		status int
		kinds  []error
	}{
		{"docs/snap-error-400-gross-amount-mismatch.json", 400, []error{ErrValidation}},
		{"docs/snap-error-400-order-id-used.json", 400, []error{ErrValidation, ErrDuplicateOrder}},
		{"docs/snap-error-401.json", 401, []error{ErrUnauthorized}},
		{"docs/snap-error-500.json", 500, []error{ErrUpstreamUnavailable}},
	}
	for _, tt := range tests {
		t.Run(path.Base(tt.file), func(t *testing.T) {
			body := fixture.Bytes(t, tt.file)
			rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, tt.status, body) })
			c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = -1 })
			res, err := c.CreateSnapTransaction(context.Background(), &SnapRequest{TransactionDetails: TransactionDetails{OrderID: "o-1", GrossAmount: 1000}})
			if res != nil {
				t.Fatalf("result %+v", res)
			}
			for _, k := range allKinds {
				if errors.Is(err, k) != containsErr(tt.kinds, k) {
					t.Errorf("errors.Is(err, %v) = %v", k, errors.Is(err, k))
				}
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v", err)
			}
			var msgs struct {
				ErrorMessages []string `json:"error_messages"`
			}
			json.Unmarshal(body, &msgs)
			if apiErr.Op != "snap" || apiErr.Code != tt.status || apiErr.HTTPStatus != tt.status ||
				apiErr.Message != strings.Join(msgs.ErrorMessages, "; ") || !reflect.DeepEqual(apiErr.ValidationMessages, msgs.ErrorMessages) {
				t.Errorf("%+v", apiErr)
			}
			if got := rec.all()[0].Path; got != "/snap/v1/transactions" {
				t.Errorf("path = %q", got)
			}
		})
	}
}

func containsErr(list []error, e error) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}

func TestSnapSuccess(t *testing.T) {
	body := fixture.Bytes(t, "docs/snap-create-transaction-response.json")
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 201, body) })
	core := newTestClient(t, "https://core.invalid", func(c *Config) { c.SnapBaseURL = srv.URL + "/" })
	res, err := core.CreateSnapTransaction(context.Background(), &SnapRequest{TransactionDetails: TransactionDetails{OrderID: "ORDER-101", GrossAmount: 10000}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Token != "d379aa71-99eb-4dd1-b9bb-eefe813746e9" || res.HTTPStatus != 201 || !bytes.Equal(res.Raw, body) {
		t.Errorf("%+v", res)
	}
	got := rec.all()[0]
	if got.Method != http.MethodPost || got.Path != "/snap/v1/transactions" {
		t.Errorf("%s %s", got.Method, got.Path)
	}
	assertSameJSON(t, got.Body, []byte(`{"transaction_details":{"order_id":"ORDER-101","gross_amount":10000}}`))
}

// TestUnusableSuccessBody: a 2xx answer that is not a readable result is
// an *APIError on a GET and an unknown outcome on a POST.
func TestUnusableSuccessBody(t *testing.T) {
	for _, body := range []string{`<html>ok</html>`, ``, `null`, `[]`, `{"status_code":"abc"}`, `{"status_code":{}}`, `{"status_code":true}`, `{"va_numbers":"x","status_code":"201"}`} {
		t.Run(body, func(t *testing.T) {
			_, srv := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, body) })
			c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = -1 })

			_, err := c.Status(context.Background(), "o")
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 200 || string(apiErr.Body) != body {
				t.Errorf("status: err = %v", err)
			}
			if errors.Is(err, ErrOutcomeUnknown) {
				t.Errorf("status: a GET has no unknown outcome")
			}

			_, err = c.Charge(context.Background(), testCharge("o"))
			if !errors.Is(err, ErrOutcomeUnknown) || !errors.As(err, &apiErr) {
				t.Errorf("charge: err = %v, want an unknown outcome wrapping an *APIError", err)
			}

			_, err = c.CreateSnapTransaction(context.Background(), &SnapRequest{TransactionDetails: TransactionDetails{OrderID: "o"}})
			if !errors.Is(err, ErrOutcomeUnknown) {
				t.Errorf("snap: err = %v", err)
			}
		})
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = -1 })
	_, err := c.Charge(context.Background(), testCharge("o"))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != http.StatusFound {
		t.Fatalf("err = %v", err)
	}
	if rec.calls() != 1 {
		t.Errorf("calls = %d: the redirect was followed", rec.calls())
	}
}

// TestGatewayTimeoutOnPost: a 504 without a Midtrans body on a POST may
// hide a processed request.
func TestGatewayTimeoutOnPost(t *testing.T) {
	_, srv := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 504, "upstream timed out") })
	c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = -1 })
	_, err := c.Cancel(context.Background(), "o")
	var apiErr *APIError
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrUpstreamUnavailable) || !errors.As(err, &apiErr) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "outcome unknown") || !strings.Contains(err.Error(), "Status") {
		t.Errorf("message = %q", err.Error())
	}
	// With a Midtrans body code the answer is definite.
	_, srv2 := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		reply(w, 504, `{"status_code":"504","status_message":"fraud detection unavailable"}`)
	})
	c2 := newTestClient(t, srv2.URL, func(c *Config) { c.MaxRetries = -1 })
	_, err = c2.Cancel(context.Background(), "o")
	assertKind(t, err, ErrUpstreamUnavailable)
}

func TestAPIErrorString(t *testing.T) {
	e := &APIError{Op: "charge", HTTPStatus: 200, Code: 406, Message: "order_id has been paid and utilized"}
	if got, want := e.Error(), "midtrans charge: 406 order_id has been paid and utilized (http 200)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &APIError{Op: "snap", HTTPStatus: 401, Code: 401, Message: "a; b", ValidationMessages: []string{"a", "b"}}
	if got, want := e.Error(), "midtrans snap: 401 a; b (http 401)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestMalformedDetailsKeepTheVerdict: only status_code decides; a broken
// descriptive member does not turn an error into a result.
func TestMalformedDetailsKeepTheVerdict(t *testing.T) {
	body := `{"status_code":"404","status_message":{"x":1},"validation_messages":"nope","id":[1]}`
	_, srv := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, body) })
	c := newTestClient(t, srv.URL, nil)
	_, err := c.Status(context.Background(), "o")
	var apiErr *APIError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Code != 404 || string(apiErr.Body) != body {
		t.Errorf("err = %v", err)
	}
}

func TestResponseSizeCap(t *testing.T) {
	big := `{"status_code":"200","pad":"` + strings.Repeat("x", maxResponseBytes) + `"}`
	rec, srv := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, big) })
	c := newTestClient(t, srv.URL, func(c *Config) { c.MaxRetries = -1 })
	_, err := c.Status(context.Background(), "o")
	if err == nil || !strings.Contains(err.Error(), "exceeds") || errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("status: err = %v", err)
	}
	_, err = c.Charge(context.Background(), testCharge("o"))
	if !errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("charge: err = %v", err)
	}
	if rec.calls() != 2 {
		t.Errorf("calls = %d", rec.calls())
	}
	// Just under the cap is fine.
	ok := `{"status_code":"200","pad":"` + strings.Repeat("x", maxResponseBytes-40) + `"}`
	_, srv2 := serve(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, ok) })
	c2 := newTestClient(t, srv2.URL, nil)
	if _, err := c2.Status(context.Background(), "o"); err != nil {
		t.Errorf("under the cap: %v", err)
	}
}
