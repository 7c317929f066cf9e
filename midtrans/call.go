package midtrans

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Operation names, used in errors and logs.
const (
	opCharge       = "charge"
	opStatus       = "status"
	opStatusB2B    = "status_b2b"
	opApprove      = "approve"
	opDeny         = "deny"
	opCancel       = "cancel"
	opExpire       = "expire"
	opRefund       = "refund"
	opDirectRefund = "direct_refund"
	opCapture      = "capture"
	opSnap         = "snap"

	opLinkPaymentAccount   = "link_payment_account"
	opGetPaymentAccount    = "get_payment_account"
	opUnlinkPaymentAccount = "unlink_payment_account"
)

// call describes one API call.
type call struct {
	op     string
	method string
	base   string // c.coreURL or c.snapURL
	path   string // already escaped, starting with "/"
	query  string // already encoded, without "?"
	body   any    // encoded as JSON; nil sends no body
	// auth says which key authenticates the call; the zero value is the
	// server key. Card tokenization is authenticated by the client key.
	auth authMode
	// logPath replaces path in logs and errors when the path holds a
	// secret (a card token).
	logPath string
}

// authMode is how a call authenticates.
type authMode int

const (
	authServerKey authMode = iota // Basic base64(serverKey + ":")
	authClientKey                 // Basic base64(clientKey + ":"), as midtrans-go's GetBIN
	authNone                      // the client key travels in the query
)

// shownPath is the path as logs and errors may show it.
func (cl call) shownPath() string {
	if cl.logPath != "" {
		return cl.logPath
	}
	return cl.path
}

// attemptResult is what one HTTP exchange produced.
type attemptResult struct {
	status int
	header http.Header
	body   []byte
	err    error // transport or body-read error; status/body unset
	sent   bool  // with err: the request may have reached Midtrans
}

// answer is a business result as send hands it to a call's decoder: the
// HTTP status and the body, which classify found to be a JSON object.
type answer struct {
	status int
	body   []byte
}

// decodeFields decodes the answer into the struct dst points to, as
// decodeLenient does.
func (a answer) decodeFields(dst any) error {
	_, err := decodeLenient(a.body, dst)
	return err
}

// send runs cl with retries and returns nil once decode accepted a
// business result. See the package doc for the rules it implements.
func (c *Client) send(ctx context.Context, cl call, opts []CallOption, decode func(answer) error) error {
	o, err := buildCallOptions(cl.op, opts)
	if err != nil {
		return err
	}
	c.mergeDefaults(cl.op, &o)
	var payload []byte
	if cl.body != nil {
		if payload, err = json.Marshal(cl.body); err != nil {
			var me *json.MarshalerError
			if errors.As(err, &me) && errors.Is(me.Err, ErrInvalidRequest) {
				return invalid(ErrInvalidRequest, cl.op, strings.TrimPrefix(me.Err.Error(), "midtrans: invalid request: "), me.Err)
			}
			return invalid(ErrInvalidRequest, cl.op, "encode body: "+err.Error(), err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("midtrans %s: not sent: %w", cl.op, err)
	}

	read := cl.method == http.MethodGet
	keyed := !read && o.idempotencyKey != ""
	attempts := 1
	if read || keyed {
		attempts += c.retries
	}
	// maybeDone: an earlier attempt of a state-changing call may have taken
	// effect without us learning the result. Any failure after that is an
	// unknown outcome, never a plain failure.
	maybeDone := false
	var lastErr error

	for attempt := 1; ; attempt++ {
		res := c.attempt(ctx, cl, &o, payload, attempt)

		var retry bool
		var reason string
		var retryAfter time.Duration
		var hasRetryAfter bool
		var metricReason string
		if res.err != nil {
			if res.sent && !read {
				maybeDone = true
			}
			if res.sent {
				lastErr = fmt.Errorf("midtrans %s: %w", cl.op, res.err)
			} else {
				lastErr = fmt.Errorf("midtrans %s: not sent: %w", cl.op, res.err)
			}
			retry, reason = ctx.Err() == nil, "transport error"
			metricReason = retryReason(true, false, 0)
		} else {
			v := classify(cl.op, res.status, res.body)
			switch {
			case keyed && res.status == http.StatusAccepted && !v.hasCode && v.env.TransactionStatus == "" && v.env.Token == "":
				// Midtrans answers 202 while the first request with
				// this key is still running; the body is no result.
				maybeDone = true
				lastErr = fmt.Errorf("midtrans %s: %w", cl.op, errInFlight)
				retry, reason = true, "idempotency key in flight"
				metricReason = retryReason(false, true, 0)
			case v.apiErr == nil:
				if err := decode(answer{status: res.status, body: res.body}); err != nil {
					apiErr := &APIError{Op: cl.op, HTTPStatus: res.status, Code: res.status,
						Message: "unexpected response body: " + err.Error(), Body: res.body}
					if !read {
						return &outcomeUnknownError{op: cl.op, cause: apiErr}
					}
					return apiErr
				}
				return nil
			default:
				lastErr = v.apiErr
				if !read && !v.hasCode && (res.status == http.StatusBadGateway || res.status == http.StatusGatewayTimeout || isSuccess(res.status)) {
					// A gateway gave up waiting for Midtrans, which may
					// still have processed the request; or something
					// accepted it with a body we cannot read.
					maybeDone = true
				}
				if !read && attempt > 1 && v.apiErr.Code == http.StatusNotAcceptable {
					// A duplicate on a repeat usually means an earlier
					// attempt went through (Midtrans' own advice).
					maybeDone = true
				}
				retry, reason = v.apiErr.Temporary(), "http "+strconv.Itoa(res.status)+" code "+strconv.Itoa(v.apiErr.Code)
				metricReason = retryReason(false, false, v.apiErr.Code)
				retryAfter, hasRetryAfter = parseRetryAfter(res.header.Get("Retry-After"), time.Now())
			}
		}

		if !retry || attempt >= attempts {
			return c.finalError(cl.op, lastErr, maybeDone)
		}
		wait := c.backoff(attempt, retryAfter, hasRetryAfter)
		c.recordRetry(ctx, cl.op, metricReason)
		c.log.LogAttrs(ctx, slog.LevelWarn, "midtrans retry",
			slog.String("op", cl.op), slog.String("method", cl.method), slog.String("path", cl.shownPath()),
			slog.Int("attempt", attempt), slog.String("reason", reason), slog.Duration("wait", wait))
		if err := sleep(ctx, wait); err != nil {
			return c.finalError(cl.op, &multiError{
				msg:  fmt.Sprintf("midtrans %s: %v while waiting to retry (last attempt: %s)", cl.op, err, detail(cl.op, lastErr)),
				errs: []error{err, lastErr},
			}, maybeDone)
		}
	}
}

// sleep waits for d, or returns ctx's error as soon as ctx is done
// (checked first, so a done context never waits or retries).
func sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return ctx.Err()
	}
}

func (c *Client) finalError(op string, err error, maybeDone bool) error {
	if maybeDone {
		return &outcomeUnknownError{op: op, cause: err}
	}
	return err
}

// attempt makes one HTTP exchange with its own timeout.
func (c *Client) attempt(ctx context.Context, cl call, o *callOptions, payload []byte, n int) attemptResult {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	// Whether a failed request may have reached Midtrans: the standard
	// transport calls GetConn before dialing and WroteHeaders once the
	// request is on the wire. A transport that reports neither is assumed
	// to have sent it, because a wrong "not sent" could double a payment.
	var gotConn, wroteHeaders atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		GetConn:      func(string) { gotConn.Store(true) },
		WroteHeaders: func() { wroteHeaders.Store(true) },
	})

	target := cl.base + cl.path
	if cl.query != "" {
		target += "?" + cl.query
	}
	var body io.Reader = http.NoBody
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, target, body)
	if err != nil {
		return attemptResult{err: hideURL(err, cl)}
	}
	c.setHeaders(req, o, cl.auth)

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		res := attemptResult{err: withCause(hideURL(err, cl), actx), sent: wroteHeaders.Load() || !gotConn.Load()}
		c.logAttempt(ctx, cl, n, 0, nil, time.Since(start), res.err)
		c.recordAttempt(ctx, cl.op, 0, time.Since(start))
		return res
	}
	defer resp.Body.Close()
	data, err := readBody(resp.Body, resp.ContentLength)
	if err != nil {
		res := attemptResult{err: fmt.Errorf("read response (http %d): %w", resp.StatusCode, withCause(err, actx)), sent: true}
		c.logAttempt(ctx, cl, n, resp.StatusCode, nil, time.Since(start), res.err)
		c.recordAttempt(ctx, cl.op, resp.StatusCode, time.Since(start))
		return res
	}
	c.logAttempt(ctx, cl, n, resp.StatusCode, data, time.Since(start), nil)
	c.recordAttempt(ctx, cl.op, resp.StatusCode, time.Since(start))
	return attemptResult{status: resp.StatusCode, header: resp.Header, body: data}
}

// readBody reads a response body of at most maxResponseBytes. With a
// Content-Length it reads into one buffer of that size (plus a byte to
// see the end) instead of growing one from 512 bytes as io.ReadAll does.
func readBody(r io.Reader, contentLength int64) ([]byte, error) {
	size := contentLength + 1
	if contentLength < 0 || contentLength > maxResponseBytes {
		size = 512
	}
	data := make([]byte, 0, size)
	for {
		// Never read past the limit's first extra byte.
		n, err := r.Read(data[len(data):min(cap(data), maxResponseBytes+1)])
		data = data[:len(data)+n]
		switch {
		case len(data) > maxResponseBytes:
			return nil, fmt.Errorf("response body exceeds %d bytes", maxResponseBytes)
		case err == io.EOF:
			return data, nil
		case err != nil:
			return nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // grow
		}
	}
}

// withCause makes sure a failure caused by the attempt's deadline matches
// context.DeadlineExceeded, whatever error text the transport chose.
func withCause(err error, actx context.Context) error {
	if cerr := actx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%w)", err, cerr)
	}
	return err
}

func (c *Client) setHeaders(req *http.Request, o *callOptions, auth authMode) {
	h := c.creds.header.Clone() // Accept, Content-Type, User-Agent, the server key
	req.Header = h
	for k, vs := range o.header {
		h[k] = append([]string(nil), vs...)
	}
	switch auth {
	case authServerKey:
		// In the template already; WithHeader and Config.Headers refuse
		// Authorization, so nothing above replaced it.
	case authClientKey:
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.clientKey+":")))
	default:
		h.Del("Authorization")
	}
	if o.idempotencyKey != "" && req.Method != http.MethodGet {
		// Midtrans honours keys on POSTs only.
		h.Set("Idempotency-Key", o.idempotencyKey)
	}
	if o.override != "" {
		h.Set("X-Override-Notification", o.override)
	}
	if o.append != "" {
		h.Set("X-Append-Notification", o.append)
	}
}

// logAttempt logs one exchange at Debug, with the body's status_code.
func (c *Client) logAttempt(ctx context.Context, cl call, n, status int, body []byte, d time.Duration, err error) {
	// Peeking at the body parses it again: only for a logger that wants
	// the record.
	if !c.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	code, _ := strconv.Atoi(peekStatusCode(body))
	attrs := []slog.Attr{
		slog.String("op", cl.op), slog.String("method", cl.method), slog.String("path", cl.shownPath()),
		slog.Int("attempt", n), slog.Int("http_status", status), slog.Int("code", code), slog.Duration("duration", d),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "midtrans attempt", attrs...)
}

// backoff returns the wait before retry number n (1-based): full jitter
// between RetryWaitMin and an exponentially growing cap, or the server's
// Retry-After, both bounded by RetryWaitMax.
func (c *Client) backoff(n int, retryAfter time.Duration, hasRetryAfter bool) time.Duration {
	if hasRetryAfter {
		return min(retryAfter, c.waitMax)
	}
	hi := c.waitMin
	for i := 1; i < n && hi < c.waitMax; i++ {
		hi *= 2
	}
	return c.jitter(c.waitMin, min(hi, c.waitMax))
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(time.Hour/time.Second) {
			secs = int64(time.Hour / time.Second) // avoid overflow; capped later anyway
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// verdict is the error rule applied to one answer.
type verdict struct {
	env     envelope
	hasCode bool
	apiErr  *APIError // nil: a business result
}

// envelopeNames are the members classify reads, in the order of its
// array of their values.
var envelopeNames = [...]string{"status_code", "status_message", "id", "transaction_status", "token",
	"validation_messages", "error_messages"}

// classify decides as Midtrans answers, which is not always by the HTTP
// status (an unknown id or a wrong key can come back as HTTP 200 with body
// status_code 404 or 401): a body status_code decides when present
// (200, 201, 202 and 407 are results, anything else an error); without
// one the HTTP status decides. Body code 400 under HTTP 200 is an error
// here, unlike midtrans-go, because Midtrans uses 400 for rejected input:
// nothing was created, and treating it as a result would hide that.
func classify(op string, status int, body []byte) verdict {
	var v verdict
	// One walk of the body, keeping the values of the envelope's members
	// (the last of a repeated name, as a map would): no map of members.
	var env [len(envelopeNames)]json.RawMessage
	null, err := walkObject(body, func(name, value []byte) {
		for i, n := range envelopeNames {
			if string(name) == n {
				env[i] = value
				return
			}
		}
	})
	isObject := err == nil && !null
	code, codeReadable := 0, true
	if isObject {
		if err := decodeRaw(env[0], envelopeNames[0], &v.env.StatusCode); err != nil {
			codeReadable = false
		} else if v.env.StatusCode != "" {
			n, err := strconv.Atoi(strings.TrimSpace(v.env.StatusCode))
			code, v.hasCode, codeReadable = n, err == nil, err == nil
		}
		// The rest only describes the answer; a malformed member must not
		// change the verdict, so decoding errors are ignored.
		for i, dst := range []any{&v.env.StatusMessage, &v.env.ID, &v.env.TransactionStatus, &v.env.Token,
			&v.env.ValidationMessages, &v.env.ErrorMessages} {
			_ = decodeRaw(env[i+1], envelopeNames[i+1], dst)
		}
	}
	switch {
	case v.hasCode && isResultCode(op, code):
		return v
	case !v.hasCode && isSuccess(status) && isObject && codeReadable:
		return v
	}
	e := &APIError{Op: op, HTTPStatus: status, Code: status, Body: body}
	if v.hasCode {
		e.Code = code
	}
	if isObject {
		e.Message = v.env.StatusMessage
		e.RequestID = v.env.ID
		e.ValidationMessages = v.env.ValidationMessages
		if len(v.env.ErrorMessages) > 0 {
			if e.Message == "" {
				e.Message = strings.Join(v.env.ErrorMessages, "; ")
			}
			if len(e.ValidationMessages) == 0 {
				e.ValidationMessages = v.env.ErrorMessages
			}
		}
	}
	if e.Message == "" && isSuccess(status) {
		// A 2xx whose body we cannot read is not a result we can act on.
		e.Message = "unexpected response body"
	}
	v.apiErr = e
	return v
}

// peekStatusCode returns the body's status_code for logging, or "".
func peekStatusCode(body []byte) string {
	var env struct {
		StatusCode flexString `json:"status_code"`
	}
	if json.Unmarshal(body, &env) != nil {
		return ""
	}
	return string(env.StatusCode)
}

func isSuccess(status int) bool { return status >= 200 && status <= 299 }

// isResultCode reports whether a body status_code is a business result of
// op. The pay account endpoints (GoPay tokenization) speak another
// dialect: 204 reports a disabled or expired account, and 202 is their
// failure ("internal server error", "caller authentication error").
func isResultCode(op string, code int) bool {
	switch op {
	case opLinkPaymentAccount, opGetPaymentAccount, opUnlinkPaymentAccount:
		return code == 200 || code == 201 || code == 204
	}
	return code == 200 || code == 201 || code == 202 || code == 407
}
