package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// DefaultMaxBodySize caps a notification body. Real ones are a few KiB.
const DefaultMaxBodySize = 64 << 10

// Why Handle refuses a notification (Result.Err of a Rejected result).
var (
	// ErrTooLarge: the body is larger than the handler's limit.
	ErrTooLarge = errors.New("notify: body too large")
	// ErrMalformed: the body is not a notification: bad JSON, or no
	// order_id, status_code or gross_amount.
	ErrMalformed = errors.New("notify: malformed notification")
	// ErrInvalidSignature: signature_key matches none of the accepted keys.
	ErrInvalidSignature = errors.New("notify: invalid signature")
)

// Handler processes Midtrans notifications for one Service. It is safe for
// concurrent use.
type Handler struct {
	svc      *payments.Service
	keys     []string
	opts     payments.NotificationOptions
	maxBody  int
	log      *slog.Logger
	rejected atomic.Int64
	tracer   trace.Tracer
	results  metric.Int64Counter
	// byKind are the attributes of a Result of each Kind, built once
	// (metric.WithAttributes builds a set on every call).
	byKind [Retry + 1]metric.MeasurementOption
}

// Option configures a Handler.
type Option interface{ apply(*Handler) error }

type optionFunc func(*Handler) error

func (f optionFunc) apply(h *Handler) error { return f(h) }

// WithServerKeys accepts signatures made with these server keys too, next
// to the Service client's own: during a key rotation, list the old key until
// Midtrans has stopped retrying notifications signed with it.
func WithServerKeys(keys ...string) Option {
	return optionFunc(func(h *Handler) error {
		for _, k := range keys {
			if k == "" || strings.TrimSpace(k) != k {
				return errors.New("notify: empty server key or one with surrounding spaces")
			}
		}
		h.keys = append(h.keys, keys...)
		return nil
	})
}

// WithoutConfirmation applies the notification body itself instead of
// confirming it with GET status: one Midtrans call fewer per notification,
// for when the status call is the problem. What it trades away: the
// signature covers only order_id, status_code and gross_amount. A body
// whose transaction_status contradicts its signed status_code is refused
// (payments.StatusCodeAllows), and gross_amount is still checked against
// the payment, but everything else — fraud_status, refund amounts,
// transaction id, instructions — is trusted as sent, and a replayed older
// genuine notification is accepted: the status machine alone decides on
// its facts, so only the transitions it forbids are stopped, and an
// out-of-order delivery is not resolved to Midtrans' current view.
func WithoutConfirmation() Option {
	return optionFunc(func(h *Handler) error { h.opts.Unconfirmed = true; return nil })
}

// WithWait bounds how long a copy of a notification that arrives while
// another copy is being processed in this process waits for its turn
// (default 3 s); then it asks Midtrans to retry
// (payments.NotificationOptions.Wait).
func WithWait(wait time.Duration) Option {
	return optionFunc(func(h *Handler) error {
		if wait <= 0 {
			return errors.New("notify: the wait must be positive")
		}
		h.opts.Wait = wait
		return nil
	})
}

// WithMaxBodySize changes the body size cap (default 64 KiB). The adapters
// read the webhook route's body up to this limit.
func WithMaxBodySize(n int) Option {
	return optionFunc(func(h *Handler) error {
		if n <= 0 {
			return errors.New("notify: max body size must be positive")
		}
		h.maxBody = n
		return nil
	})
}

// WithLogger sets the logger; the default (and nil) discards.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(h *Handler) error {
		if l != nil {
			h.log = l
		}
		return nil
	})
}

// New returns a Handler for svc.
func New(svc *payments.Service, opts ...Option) (*Handler, error) {
	if svc == nil {
		return nil, errors.New("notify: nil service")
	}
	h := &Handler{svc: svc, maxBody: DefaultMaxBodySize, log: slog.New(slog.DiscardHandler),
		tracer: svc.TracerProvider().Tracer(scope)}
	// Creating a counter fails only for an invalid name; the API then
	// hands back a working no-op counter.
	h.results, _ = svc.MeterProvider().Meter(scope).Int64Counter("payments.notifications", metric.WithUnit("{notification}"),
		metric.WithDescription("Notifications handled, by result (processed, duplicate, ignored, rejected, retry)"))
	for k := range h.byKind {
		h.byKind[k] = metric.WithAttributeSet(attribute.NewSet(kindAttribute(Kind(k))))
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(h); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// MaxBodySize is the largest body the handler accepts.
func (h *Handler) MaxBodySize() int { return h.maxBody }

// Rejected counts the notifications refused for a bad signature since the
// handler was made. They are logged without their body and never stored.
func (h *Handler) Rejected() int64 { return h.rejected.Load() }

// Kind is what became of a notification.
type Kind uint8

// Kinds of Result.
const (
	// Processed: the notification's effect is committed (applied, stale,
	// or an amount mismatch recorded and signalled).
	Processed Kind = iota + 1
	// Duplicate: a copy of a notification already handled.
	Duplicate
	// Ignored: nothing to do: a test ping, or an order this Service does
	// not know (recorded).
	Ignored
	// Rejected: refused, and delivering it again cannot help; Err says why.
	Rejected
	// Retry: not handled because of a transient failure (Err); the sender
	// should deliver it again.
	Retry
)

// kindAttribute is a Result's Kind as the metric and the span carry it.
func kindAttribute(k Kind) attribute.KeyValue { return attribute.String("payments.result", k.String()) }

func (k Kind) String() string {
	switch k {
	case Processed:
		return "processed"
	case Duplicate:
		return "duplicate"
	case Ignored:
		return "ignored"
	case Rejected:
		return "rejected"
	case Retry:
		return "retry"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Result is what Handle did. The transport turns it into an answer: the
// adapters choose the HTTP status code from Kind and Err.
type Result struct {
	Kind    Kind
	OrderID string
	// Decision is the status machine's ("applied", "stale", ...), when it
	// decided.
	Decision string
	// Message says what happened, for the sender; it never holds internal
	// error details.
	Message string
	// Err is why, for Rejected (wrapping ErrTooLarge, ErrMalformed,
	// ErrInvalidSignature, payments.ErrStatusContradicts or
	// payments.ErrValidation) and Retry (the transient failure).
	Err error
	// AccountID is the pay account of a pay account notification (GoPay
	// linking or unlinking), which has no order id.
	AccountID string
}

// Answer is the JSON body of the reply to Midtrans (and what a human reads
// in the dashboard's notification history).
type Answer struct {
	// Status is the result's Kind.
	Status   string `json:"status"`
	OrderID  string `json:"order_id,omitempty"`
	Decision string `json:"decision,omitempty"`
	Message  string `json:"message,omitempty"`
	// AccountID is Result.AccountID.
	AccountID string `json:"account_id,omitempty"`
}

// Answer is r as the JSON answer.
func (r Result) Answer() Answer {
	return Answer{Status: r.Kind.String(), OrderID: r.OrderID, Decision: r.Decision, Message: r.Message, AccountID: r.AccountID}
}

func rejected(orderID string, err error) Result {
	return Result{Kind: Rejected, OrderID: orderID, Message: err.Error(), Err: err}
}

const scope = "github.com/nusapay/payments/notify"

// Handle processes one notification body. It never panics on any input;
// see the package documentation for the pipeline.
//
// Every notification gets a span, notify.Handle, with the Service's tracer
// provider. It is a new root linked to the span in ctx (the webhook's HTTP
// server span), not its child: the notification is Midtrans' request, not
// part of whatever trace the caller's headers claim. It is counted once, by
// its Result's Kind, in payments.notifications.
func (h *Handler) Handle(ctx context.Context, body []byte) Result {
	var opts []trace.SpanStartOption
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
	}
	opts = append(opts, trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindServer))
	ctx, span := h.tracer.Start(ctx, "notify.Handle", opts...)
	r := h.handle(ctx, body)
	if int(r.Kind) < len(h.byKind) {
		h.results.Add(ctx, 1, h.byKind[r.Kind])
	} else {
		h.results.Add(ctx, 1, metric.WithAttributes(kindAttribute(r.Kind)))
	}
	span.SetAttributes(kindAttribute(r.Kind))
	if r.OrderID != "" && r.Kind != Rejected {
		// Rejected order ids are unauthenticated input: not recorded.
		span.SetAttributes(attribute.String("payments.order_id", r.OrderID))
	}
	if r.Err != nil {
		span.SetStatus(codes.Error, r.Kind.String())
	}
	span.End()
	return r
}

func (h *Handler) handle(ctx context.Context, body []byte) Result {
	if len(body) > h.maxBody {
		return rejected("", fmt.Errorf("%w: more than %d bytes", ErrTooLarge, h.maxBody))
	}
	if midtrans.IsPaymentAccountNotification(body) {
		return h.handleAccount(ctx, body)
	}
	n, err := Parse(body)
	if err != nil {
		return rejected("", err)
	}
	if n.SignatureKey == "" {
		return Result{Kind: Ignored, OrderID: n.OrderID, Message: "unsigned notification (test ping): nothing done"}
	}
	if missing := missingFields(n); missing != "" {
		return rejected(n.OrderID, fmt.Errorf("%w: missing %s", ErrMalformed, missing))
	}
	if !h.verify(n) {
		// Unauthenticated input: counted and logged, never stored, so
		// forgeries cost no storage.
		h.rejected.Add(1)
		h.log.LogAttrs(ctx, slog.LevelWarn, "notify: bad signature", slog.String("order_id", clip(n.OrderID)), slog.Int("bytes", len(body)))
		return rejected(n.OrderID, ErrInvalidSignature)
	}
	return h.enter(ctx, n, body)
}

// enter calls the Service and says what became of the notification.
func (h *Handler) enter(ctx context.Context, n *midtrans.TransactionResponse, body []byte) Result {
	res, err := h.svc.ApplyNotification(ctx, n, body, h.opts)
	switch {
	case errors.Is(err, payments.ErrStatusContradicts) || errors.Is(err, payments.ErrValidation):
		return rejected(n.OrderID, err)
	case err != nil:
		h.log.LogAttrs(ctx, slog.LevelError, "notify: transient failure, asking Midtrans to retry",
			slog.String("order_id", n.OrderID), slog.String("error", err.Error()))
		return Result{Kind: Retry, OrderID: n.OrderID, Message: "not processed; retry later", Err: err}
	case res.Duplicate:
		return Result{Kind: Duplicate, OrderID: n.OrderID, Message: res.Detail}
	case res.State == payments.NotificationIgnored:
		return Result{Kind: Ignored, OrderID: n.OrderID, Message: res.Detail + ": recorded"}
	case res.Verdict.Reason == payments.ReasonAmountMismatch:
		return Result{Kind: Processed, OrderID: n.OrderID, Decision: res.Verdict.Decision.String(), Message: "amount mismatch: recorded, not applied"}
	}
	return Result{Kind: Processed, OrderID: n.OrderID, Decision: res.Verdict.Decision.String(), Message: string(res.Verdict.Reason)}
}

// clip bounds an unauthenticated string before it is logged.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "…"
}

// verify checks the signature against every accepted key, each in constant
// time, and always all of them, so timing tells nothing about which matched.
func (h *Handler) verify(n *midtrans.TransactionResponse) bool {
	ok := h.svc.VerifySignature(n.OrderID, n.StatusCode, n.GrossAmount, n.SignatureKey)
	for _, k := range h.keys {
		if midtrans.VerifySignature(n.OrderID, n.StatusCode, n.GrossAmount, n.SignatureKey, k) {
			ok = true
		}
	}
	return ok
}

// Parse decodes a notification body as midtrans.ParseNotification does;
// a body that is not JSON wraps ErrMalformed.
func Parse(body []byte) (*midtrans.TransactionResponse, error) {
	n, err := midtrans.ParseNotification(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return n, nil
}

func missingFields(n *midtrans.TransactionResponse) string {
	var missing []string
	for name, v := range map[string]string{"order_id": n.OrderID, "status_code": n.StatusCode, "gross_amount": n.GrossAmount} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	slices.Sort(missing) // map order varies; keep the message stable
	return strings.Join(missing, ", ")
}

// DedupKey is the notification's inbox key (payments.NotificationKey):
// re-deliveries of one event share it.
func DedupKey(n *midtrans.TransactionResponse) string { return payments.NotificationKey(n) }

// Sign returns the signature_key Midtrans would send for these fields.
func Sign(serverKey, orderID, statusCode, grossAmount string) string {
	return midtrans.Signature(orderID, statusCode, grossAmount, serverKey)
}

// Signed returns a notification body with fields and a correct
// signature_key computed from its order_id, status_code and gross_amount
// with serverKey — for tests, this module's and integrators'. Missing
// status_message and a numeric gross_amount are filled in as Midtrans
// writes them.
func Signed(serverKey string, fields map[string]any) ([]byte, error) {
	m := make(map[string]any, len(fields)+2)
	for k, v := range fields {
		m[k] = v
	}
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case nil:
			return ""
		case payments.Amount:
			m[k] = v.String()
			return v.String()
		case int, int64:
			s := fmt.Sprintf("%d.00", v)
			m[k] = s
			return s
		default:
			return fmt.Sprint(v)
		}
	}
	orderID, code, gross := str("order_id"), str("status_code"), str("gross_amount")
	if orderID == "" || code == "" || gross == "" {
		return nil, errors.New("notify: Signed needs order_id, status_code and gross_amount")
	}
	if _, ok := m["status_message"]; !ok {
		m["status_message"] = "midtrans payment notification"
	}
	m["signature_key"] = Sign(serverKey, orderID, code, gross)
	return json.Marshal(m)
}
