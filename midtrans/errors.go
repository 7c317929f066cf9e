package midtrans

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Kinds of Midtrans errors, for errors.Is. An *APIError matches the kind of
// its Code (Midtrans' status_code); the kinds do not overlap except where
// noted.
var (
	// ErrUnauthorized: wrong server key or wrong environment (401).
	ErrUnauthorized = errors.New("midtrans: unauthorized")
	// ErrChannelInactive: the payment channel is not activated for the
	// merchant, or the card/endpoint is refused for this account (402).
	ErrChannelInactive = errors.New("midtrans: payment channel not active")
	// ErrNotFound: no such transaction (404). Also the normal answer to
	// Status for a Snap order whose customer has not chosen a method yet.
	ErrNotFound = errors.New("midtrans: not found")
	// ErrDuplicateOrder: the order id (or refund key) was already used
	// (406, and Snap's 400 "order_id has been paid and utilized"). After a
	// retried charge it usually means the first attempt succeeded: check
	// Status.
	ErrDuplicateOrder = errors.New("midtrans: duplicate order id")
	// ErrTokenInvalid: the card token is missing, invalid or expired (411).
	ErrTokenInvalid = errors.New("midtrans: card token invalid")
	// ErrCannotModify: the transaction's status does not allow the
	// operation (412).
	ErrCannotModify = errors.New("midtrans: transaction status cannot be modified")
	// ErrRefundRejected: invalid refund amount or insufficient merchant
	// balance (414).
	ErrRefundRejected = errors.New("midtrans: refund rejected")
	// ErrRateLimited: too many requests (429). Temporary.
	ErrRateLimited = errors.New("midtrans: rate limited")
	// ErrValidation: Midtrans rejected the request data (400, 408, 413);
	// see APIError.ValidationMessages.
	ErrValidation = errors.New("midtrans: validation failed")
	// ErrUpstreamUnavailable: Midtrans or the bank behind it failed
	// (500, 502, 503, 504). Temporary.
	ErrUpstreamUnavailable = errors.New("midtrans: upstream unavailable")
	// ErrMerchantBlocked: merchant account deactivated or GoPay user
	// blocked (410). Not retryable; alert a human.
	ErrMerchantBlocked = errors.New("midtrans: merchant or user blocked")
	// ErrOutcomeUnknown: a call that changes state may or may not have
	// taken effect (timeout, broken connection, gateway timeout, a request
	// still in flight). Resolve it with Status; never treat it as failed.
	ErrOutcomeUnknown = errors.New("midtrans: outcome unknown")

	// ErrInvalidConfig: New refused the Config.
	ErrInvalidConfig = errors.New("midtrans: invalid config")
	// ErrInvalidOption: a CallOption was refused; nothing was sent.
	ErrInvalidOption = errors.New("midtrans: invalid call option")
	// ErrInvalidRequest: the request was refused before sending (missing
	// id, nil request, unencodable body).
	ErrInvalidRequest = errors.New("midtrans: invalid request")
)

// APIError is an answer from Midtrans that is not a business result: any
// body status_code other than 200, 201, 202 and 407, or, without a body
// code, an HTTP status outside 2xx. Midtrans often reports errors under
// HTTP 200, so HTTPStatus alone says little; use errors.Is with the Err…
// kinds or look at Code.
type APIError struct {
	// Op is the operation: "charge", "status", "status_b2b", "approve",
	// "deny", "cancel", "expire", "refund", "direct_refund", "capture",
	// "snap", "link_payment_account", "get_payment_account",
	// "unlink_payment_account", "card_token", "register_card",
	// "point_inquiry", "bin", or a subscription call: "create_subscription",
	// "get_subscription", "update_subscription", "enable_subscription",
	// "disable_subscription", "cancel_subscription".
	Op string
	// HTTPStatus is the HTTP status of the response.
	HTTPStatus int
	// Code is the body's status_code, or HTTPStatus when the body has none.
	Code int
	// Message is status_message, or Snap's error_messages joined with "; ".
	Message string
	// ValidationMessages are validation_messages, or Snap's error_messages.
	ValidationMessages []string
	// RequestID is the body's "id", Midtrans' trace id for support.
	RequestID string
	// Body is the raw response body (at most 4 MiB).
	Body []byte
}

// Error returns e.g. "midtrans charge: 406 order_id has been paid and
// utilized (http 200)".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("midtrans ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.Code))
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Code)
	}
	if msg != "" {
		b.WriteByte(' ')
		b.WriteString(msg)
	}
	if v := strings.Join(e.ValidationMessages, "; "); v != "" && v != e.Message {
		b.WriteString(" [")
		b.WriteString(v)
		b.WriteByte(']')
	}
	fmt.Fprintf(&b, " (http %d)", e.HTTPStatus)
	return b.String()
}

// Is reports whether target is the kind of e's Code.
func (e *APIError) Is(target error) bool {
	if target == ErrDuplicateOrder && e.snapDuplicateOrder() {
		return true
	}
	return target != nil && kindOf(e.Code) == target
}

// Temporary reports whether repeating the same request later may succeed
// (429, 500, 502, 503, 504).
func (e *APIError) Temporary() bool { return temporaryCode(e.Code) || temporaryCode(e.HTTPStatus) }

// snapDuplicateOrder recognises Snap's duplicate order answer, which comes
// as a plain 400; without it callers could not tell it from bad input.
func (e *APIError) snapDuplicateOrder() bool {
	if e.Op != opSnap || e.Code != http.StatusBadRequest {
		return false
	}
	for _, m := range e.ValidationMessages {
		if strings.Contains(m, "has been paid and utilized") {
			return true
		}
	}
	return false
}

func kindOf(code int) error {
	switch code {
	case 400, 408, 413:
		return ErrValidation
	case 401:
		return ErrUnauthorized
	case 402:
		return ErrChannelInactive
	case 404:
		return ErrNotFound
	case 406:
		return ErrDuplicateOrder
	case 410:
		return ErrMerchantBlocked
	case 411:
		return ErrTokenInvalid
	case 412:
		return ErrCannotModify
	case 414:
		return ErrRefundRejected
	case 429:
		return ErrRateLimited
	case 500, 502, 503, 504:
		return ErrUpstreamUnavailable
	}
	return nil
}

func temporaryCode(code int) bool {
	switch code {
	case 429, 500, 502, 503, 504:
		return true
	}
	return false
}

// outcomeUnknownError marks a state-changing call whose effect is unknown.
// It keeps the cause so errors.Is(err, context.DeadlineExceeded) and
// errors.As(err, **APIError) still work.
type outcomeUnknownError struct {
	op    string
	cause error
}

func (e *outcomeUnknownError) Error() string {
	return "midtrans " + e.op + ": outcome unknown, the request may have reached Midtrans; resolve it with Status before acting: " + detail(e.op, e.cause)
}

// detail is err's message without the "midtrans <op>: " prefix, for
// messages that already carry it.
func detail(op string, err error) string {
	return strings.TrimPrefix(err.Error(), "midtrans "+op+": ")
}

// multiError is an error with its own message that wraps several causes.
type multiError struct {
	msg  string
	errs []error
}

func (e *multiError) Error() string   { return e.msg }
func (e *multiError) Unwrap() []error { return e.errs }

// invalid returns an error of kind (ErrInvalidRequest, ErrInvalidOption)
// whose message reads "midtrans <op>: invalid request: msg"; op may be "".
func invalid(kind error, op, msg string, causes ...error) error {
	prefix := "midtrans: "
	if op != "" {
		prefix = "midtrans " + op + ": "
	}
	return &multiError{
		msg:  prefix + strings.TrimPrefix(kind.Error(), "midtrans: ") + ": " + msg,
		errs: append([]error{kind}, causes...),
	}
}

func (e *outcomeUnknownError) Unwrap() error { return e.cause }

func (e *outcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }

// errInFlight is the cause of an unknown outcome when Midtrans kept
// answering 202 for an idempotency key whose first request had not finished.
var errInFlight = errors.New("a request with this idempotency key is still being processed (http 202)")
