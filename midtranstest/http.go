package midtranstest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxIdempotencyKey: Midtrans silently ignores longer keys.
const maxIdempotencyKey = 46

// apiResult is one API answer, rendered once so idempotent replays are byte-identical.
type apiResult struct {
	status int
	body   []byte
}

// Messages Midtrans uses, quoted once so tests and code agree.
const (
	msgUnauthorized  = "Access denied due to unauthorized transaction, please check client or server key"
	msgNotFound      = "The requested resource is not found"
	msgDuplicate     = "The request could not be completed due to a conflict with the current state of the target resource, please try again"
	msgInvalid       = "One or more parameters in the payload is invalid."
	msgTokenInvalid  = "Token id is missing, invalid, or timed out"
	msgCannotUpdate  = "Transaction status cannot be updated."
	msgCannotModify  = "Merchant cannot modify the status of the transaction"
	msgRefundAmount  = "Refund request is rejected due to invalid amount"
	msgDupRefund     = "Duplicate refund ID"
	msgInFlight      = "Request with the same idempotency key is being processed"
	msgSnapOrderUsed = "transaction_details.order_id has been paid and utilized, please use another order ID"
	msgGrossMismatch = "transaction_details.gross_amount is not equal to the sum of item_details"
	msgBelowMinimum  = "custom_expiry is below minimum threshold"
)

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	segs, ok := splitPath(r.URL.EscapedPath())
	if !ok {
		http.NotFound(w, r)
		return
	}
	if s.servePage(w, r, segs) || s.servePayAccountPage(w, r, segs) {
		return
	}
	if len(segs) == 0 || (segs[0] != "v2" && segs[0] != "v1" && !(segs[0] == "snap" && len(segs) > 1 && segs[1] == "v1")) {
		http.NotFound(w, r)
		return
	}
	s.serveAPI(w, r, segs)
}

// splitPath splits an escaped path into unescaped segments, so "{id}" may hold any
// URL-encoded order_id.
func splitPath(p string) ([]string, bool) {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil, true
	}
	parts := strings.Split(p, "/")
	for i, part := range parts {
		u, err := url.PathUnescape(part)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, segs []string) {
	body, _ := readBody(r)
	snap := segs[0] == "snap"
	key := r.Header.Get("Idempotency-Key")

	hdr := r.Header.Clone()
	hdr.Del("Authorization") // a key; tests ask the simulator whether it was right

	// Faults are decided on arrival, so "the next n calls" means arrival order.
	s.mu.Lock()
	idx := len(s.calls)
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.EscapedPath(), IdempotencyKey: key,
		Header: hdr, Body: body, At: s.now()})
	fail, failCode := false, 0
	if s.failN > 0 {
		s.failN--
		fail, failCode = true, s.failCode
	}
	drop := false
	if s.dropN > 0 {
		s.dropN--
		drop = true
	}
	latency := s.latency
	s.mu.Unlock()

	var res apiResult
	claimed := false
	switch {
	case fail:
		res = failResult(failCode, snap)
	case !s.authorized(r, segs):
		res = unauthorized(snap)
	case r.Method == http.MethodPost && key != "" && len(key) <= maxIdempotencyKey && !idempotencyExcluded(segs, body):
		var hit bool
		res, hit = s.idemClaim(key)
		if !hit {
			claimed = true
			res = s.route(r, segs, body)
		}
	default:
		res = s.route(r, segs, body)
	}

	sleepCtx(r.Context(), latency, s.stop)
	if claimed {
		s.idemFinish(key, res, snap)
	}

	s.mu.Lock()
	s.calls[idx].StatusCode = res.status
	s.calls[idx].Dropped = drop
	s.mu.Unlock()
	s.cfg.Logger.Debug("midtranstest: api call", "method", r.Method, "path", r.URL.Path,
		"status", res.status, "dropped", drop)

	if drop {
		dropConnection(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if browserCalled(segs) {
		w.Header().Set("Access-Control-Allow-Origin", "*") // called from the browser (3DS JS)
	}
	w.WriteHeader(res.status)
	_, _ = w.Write(res.body)
}

// dropConnection closes the connection without answering. Hijacking gives the client a
// clean "connection closed" error; where hijacking is unsupported (HTTP/2) the
// ErrAbortHandler panic resets the stream instead.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		conn, buf, err := hj.Hijack()
		if err == nil {
			_ = buf.Flush()
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// authorized checks Basic auth with the server key; /v2/token uses the client key.
func (s *Server) authorized(r *http.Request, segs []string) bool {
	if len(segs) == 2 && segs[0] == "v2" && segs[1] == "token" {
		return subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("client_key")), []byte(s.cfg.ClientKey)) == 1
	}
	if key, ok := s.cardAuth(r, segs); ok {
		return key
	}
	user, pass, ok := r.BasicAuth()
	return ok && pass == "" && subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.ServerKey)) == 1
}

// idempotencyExcluded: Midtrans does not support Idempotency-Key for Permata VA and
// Indomaret charges, so a retried charge there meets the duplicate-order rule.
func idempotencyExcluded(segs []string, body []byte) bool {
	if len(segs) != 2 || segs[0] != "v2" || segs[1] != "charge" {
		return false
	}
	var m struct {
		PaymentType  string `json:"payment_type"`
		BankTransfer struct {
			Bank string `json:"bank"`
		} `json:"bank_transfer"`
		Cstore struct {
			Store string `json:"store"`
		} `json:"cstore"`
	}
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	switch {
	case m.PaymentType == "permata":
		return true
	case m.PaymentType == "bank_transfer" && strings.EqualFold(m.BankTransfer.Bank, "permata"):
		return true
	case m.PaymentType == "cstore" && strings.EqualFold(m.Cstore.Store, "indomaret"):
		return true
	}
	return false
}

type idemEntry struct {
	done   bool
	status int
	body   []byte
	at     time.Time
}

// idemClaim returns the stored answer (hit) or marks the key in flight.
func (s *Server) idemClaim(key string) (apiResult, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.idem) > 1024 {
		for k, e := range s.idem {
			if e.done && now.Sub(e.at) >= s.cfg.IdempotencyWindow {
				delete(s.idem, k)
			}
		}
	}
	if e, ok := s.idem[key]; ok {
		if !e.done {
			return apiResult{status: http.StatusAccepted, body: mustJSON(obj{"status_message": msgInFlight})}, true
		}
		if now.Sub(e.at) < s.cfg.IdempotencyWindow {
			return apiResult{status: e.status, body: e.body}, true
		}
	}
	s.idem[key] = &idemEntry{}
	return apiResult{}, false
}

// idemFinish stores successful answers only; failures free the key.
func (s *Server) idemFinish(key string, res apiResult, snap bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !successful(res, snap) {
		delete(s.idem, key)
		return
	}
	s.idem[key] = &idemEntry{done: true, status: res.status, body: res.body, at: s.now()}
}

func successful(res apiResult, snap bool) bool {
	if snap {
		return res.status == http.StatusCreated
	}
	if res.status >= 300 {
		return false
	}
	var b struct {
		StatusCode string `json:"status_code"`
	}
	if json.Unmarshal(res.body, &b) != nil {
		return false
	}
	switch b.StatusCode {
	case "200", "201", "202", "407":
		return true
	case "":
		return res.status == http.StatusOK // the subscription API answers without status_code
	}
	return false
}

func (s *Server) route(r *http.Request, segs []string, body []byte) apiResult {
	if segs[0] == "snap" {
		if len(segs) == 3 && segs[2] == "transactions" {
			if r.Method != http.MethodPost {
				return methodNotAllowed(true)
			}
			return s.snapCreate(r, body)
		}
		return apiResult{status: http.StatusNotFound, body: mustJSON(obj{"error_messages": []string{"Not found"}})}
	}
	if res, ok := s.routePayAccount(r, segs, body); ok {
		return res
	}
	if segs[0] == "v1" {
		if len(segs) > 1 && segs[1] == "subscriptions" {
			return s.subscriptionAPI(r, segs, body)
		}
		return s.routeV1(r, segs)
	}
	want := http.MethodPost
	var h func() apiResult
	switch {
	case len(segs) == 2 && segs[1] == "charge":
		h = func() apiResult { return s.charge(r, body) }
	case len(segs) == 2 && segs[1] == "capture":
		h = func() apiResult { return s.capture(body) }
	case len(segs) == 2 && segs[1] == "token":
		want = http.MethodGet
		h = func() apiResult { return s.token(r) }
	case len(segs) == 3 && segs[2] == "status":
		want = http.MethodGet
		h = func() apiResult { return s.status(segs[1]) }
	case len(segs) == 4 && segs[2] == "status" && segs[3] == "b2b":
		want = http.MethodGet
		h = func() apiResult { return s.statusB2B(r, segs[1]) }
	case len(segs) == 3 && (segs[2] == "approve" || segs[2] == "deny" || segs[2] == "cancel" || segs[2] == "expire"):
		h = func() apiResult { return s.operate(segs[1], segs[2]) }
	case len(segs) == 3 && segs[2] == "refund":
		h = func() apiResult { return s.refundAPI(segs[1], body, false) }
	case len(segs) == 5 && segs[2] == "refund" && segs[3] == "online" && segs[4] == "direct":
		h = func() apiResult { return s.refundAPI(segs[1], body, true) }
	case len(segs) == 3 && segs[1] == "card" && segs[2] == "register":
		want = http.MethodGet
		h = func() apiResult { return s.registerCard(r) }
	case len(segs) == 3 && segs[1] == "point_inquiry":
		want = http.MethodGet
		h = func() apiResult { return s.pointInquiry(r, segs[2]) }
	default:
		return coreError(http.StatusNotFound, "404", msgNotFound, true)
	}
	if r.Method != want {
		return methodNotAllowed(false)
	}
	return h()
}

// obj is a JSON object; encoding/json sorts its keys, so output is deterministic.
type obj = map[string]any

// mustJSON marshals without HTML escaping: deeplink URLs keep their "&".
func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("midtranstest: marshal: %v", err))
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// coreError is a Core API error body; withID adds the trace id most error samples carry.
func coreError(httpStatus int, code, msg string, withID bool) apiResult {
	b := obj{"status_code": code, "status_message": msg}
	if withID {
		b["id"] = newUUID()
	}
	return apiResult{status: httpStatus, body: mustJSON(b)}
}

func validationError(msgs []string) apiResult {
	return apiResult{status: http.StatusBadRequest, body: mustJSON(obj{
		"status_code": "400", "status_message": msgInvalid, "id": newUUID(), "validation_messages": msgs})}
}

func snapError(httpStatus int, msgs ...string) apiResult {
	return apiResult{status: httpStatus, body: mustJSON(obj{"error_messages": msgs})}
}

func unauthorized(snap bool) apiResult {
	if snap {
		return snapError(http.StatusUnauthorized, msgUnauthorized,
			"Visit https://snap-docs.midtrans.com/#request-headers for more details")
	}
	return coreError(http.StatusUnauthorized, "401", msgUnauthorized, true)
}

func methodNotAllowed(snap bool) apiResult {
	if snap {
		return snapError(http.StatusMethodNotAllowed, "HTTP method not allowed")
	}
	return coreError(http.StatusMethodNotAllowed, "405", "HTTP method not allowed", true)
}

// failResult is an injected failure shaped like Midtrans' own (the recorded error-500 sample).
func failResult(code int, snap bool) apiResult {
	msg := map[int]string{
		500: "Sorry. Our system is recovering from unexpected issues. Please retry.",
		502: "Internal server error: connection to the bank failed. Please retry.",
		503: "Bank/partner is experiencing connection issue.",
		504: "Internal server error: fraud detection service is unavailable. Please retry.",
		429: "Too many requests: API rate limit exceeded. Please retry later.",
	}[code]
	if msg == "" {
		msg = http.StatusText(code)
	}
	if snap {
		if code == 500 {
			msg = "Sorry, we encountered internal server error. We will fix this soon."
		}
		return snapError(code, msg)
	}
	return coreError(code, strconv.Itoa(code), msg, true)
}
