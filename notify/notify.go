package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/uid"
	"github.com/nusapay/payments/midtrans"
)

// DefaultMaxBodySize caps a notification body. Real ones are a few KiB.
const DefaultMaxBodySize = 64 << 10

// Handler processes Midtrans notifications for one Service. It is safe for
// concurrent use.
type Handler struct {
	svc      *payments.Service
	store    payments.Store
	client   *midtrans.Client
	keys     []string
	confirm  bool
	maxBody  int
	inFlight time.Duration
	log      *slog.Logger
	now      func() time.Time
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
// confirming it with GET status. The signature still protects it, but a
// stale delivery then decides on its own facts; keep confirmation on unless
// the status call is the problem.
func WithoutConfirmation() Option {
	return optionFunc(func(h *Handler) error { h.confirm = false; return nil })
}

// WithMaxBodySize changes the body size cap (default 64 KiB).
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

// WithClock sets the clock (tests); nil keeps time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(h *Handler) error {
		if now != nil {
			h.now = now
		}
		return nil
	})
}

// New returns a Handler for svc.
func New(svc *payments.Service, opts ...Option) (*Handler, error) {
	if svc == nil {
		return nil, errors.New("notify: nil service")
	}
	h := &Handler{
		svc: svc, store: svc.Store(), client: svc.Client(), confirm: true,
		maxBody: DefaultMaxBodySize, inFlight: 30 * time.Second,
		log: slog.New(slog.DiscardHandler), now: time.Now,
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

// Answer is the JSON body of the reply to Midtrans (and what a human reads
// in the dashboard's notification history).
type Answer struct {
	// Status is one of: processed, duplicate, ignored, rejected, error.
	Status   string `json:"status"`
	OrderID  string `json:"order_id,omitempty"`
	Decision string `json:"decision,omitempty"`
	Message  string `json:"message,omitempty"`
}

// Response is what to send back: StatusCode and Body (JSON).
type Response struct {
	StatusCode int
	Answer     Answer
}

// Body is the JSON encoding of the answer.
func (r Response) Body() []byte {
	b, _ := json.Marshal(r.Answer)
	return b
}

func respond(code int, status, orderID, msg string) Response {
	return Response{StatusCode: code, Answer: Answer{Status: status, OrderID: orderID, Message: msg}}
}

// Handle processes one notification body and says what to answer. It
// never panics on any input; see the package documentation for the
// pipeline and the status codes.
func (h *Handler) Handle(ctx context.Context, body []byte) Response {
	if len(body) > h.maxBody {
		return respond(http.StatusRequestEntityTooLarge, "rejected", "", fmt.Sprintf("body larger than %d bytes", h.maxBody))
	}
	n, err := Parse(body)
	if err != nil {
		return respond(http.StatusBadRequest, "rejected", "", err.Error())
	}
	if n.SignatureKey == "" {
		return respond(http.StatusOK, "ignored", n.OrderID, "unsigned notification (test ping): nothing done")
	}
	if missing := missingFields(n); missing != "" {
		return respond(http.StatusBadRequest, "rejected", n.OrderID, "missing "+missing)
	}
	if !h.verify(n) {
		h.log.LogAttrs(ctx, slog.LevelWarn, "notify: bad signature", slog.String("order_id", n.OrderID))
		// Kept for forensics under a key of its own: a forged body must
		// never occupy the dedup key of the real notification.
		rec := h.record(n, body, "rejected:"+uid.New(), false)
		rec.State, rec.Detail = payments.NotificationRejected, "invalid signature"
		if _, err := h.store.InsertNotification(ctx, rec); err != nil {
			h.log.LogAttrs(ctx, slog.LevelError, "notify: store rejected notification", slog.String("error", err.Error()))
		}
		return respond(http.StatusUnauthorized, "rejected", n.OrderID, "invalid signature")
	}

	rec := h.record(n, body, DedupKey(n), true)
	inserted, err := h.store.InsertNotification(ctx, rec)
	if err != nil {
		return h.unavailable(ctx, n, "store notification", err)
	}
	if !inserted {
		prev, err := h.store.NotificationByDedupKey(ctx, rec.DedupKey)
		if err != nil {
			return h.unavailable(ctx, n, "read notification", err)
		}
		switch {
		case prev.State == payments.NotificationProcessed || prev.State == payments.NotificationIgnored ||
			prev.State == payments.NotificationRejected:
			return respond(http.StatusOK, "duplicate", n.OrderID, "already "+string(prev.State))
		case prev.State == payments.NotificationReceived && h.now().Sub(prev.ReceivedAt) < h.inFlight:
			// Another copy is being processed right now. If it fails, its
			// own delivery gets the retryable answer and Midtrans retries it.
			return respond(http.StatusOK, "duplicate", n.OrderID, "a copy is being processed")
		}
		// An earlier copy failed midway (or its process died): do it again.
		rec = prev
	}
	resp := h.process(ctx, n, rec)
	return resp
}

// process confirms, checks and applies a stored notification.
func (h *Handler) process(ctx context.Context, n *midtrans.TransactionResponse, rec *payments.Notification) Response {
	finish := func(state payments.NotificationState, detail string) {
		if err := h.store.FinishNotification(ctx, rec.ID, state, detail); err != nil {
			// The change itself is committed; a retry would be a duplicate.
			h.log.LogAttrs(ctx, slog.LevelError, "notify: finish notification", slog.String("order_id", n.OrderID), slog.String("error", err.Error()))
		}
	}
	if _, err := h.store.Payment(ctx, n.OrderID); err != nil {
		if errors.Is(err, payments.ErrNotFound) {
			h.log.LogAttrs(ctx, slog.LevelWarn, "notify: unknown order", slog.String("order_id", n.OrderID))
			finish(payments.NotificationIgnored, "unknown order")
			return respond(http.StatusOK, "ignored", n.OrderID, "unknown order: recorded")
		}
		return h.failed(ctx, n, rec, "read payment", err)
	}
	report := n
	if h.confirm {
		id := n.TransactionID
		if id == "" {
			id = n.OrderID
		}
		var opts []midtrans.CallOption
		if strings.EqualFold(n.PaymentType, "dana") {
			opts = append(opts, midtrans.WithHeader("transaction-source", "SNAP_API"))
		}
		confirmed, err := h.client.Status(ctx, id, opts...)
		if err != nil {
			return h.failed(ctx, n, rec, "confirm with GET status", err)
		}
		report = confirmed
	}
	res, err := h.svc.ApplyStatus(ctx, report, payments.SourceNotification)
	if err != nil {
		return h.failed(ctx, n, rec, "apply", err)
	}
	detail := res.Verdict.Decision.String() + ": " + string(res.Verdict.Reason)
	if res.Verdict.Reason == payments.ReasonAmountMismatch {
		finish(payments.NotificationRejected, detail)
		return Response{StatusCode: http.StatusOK, Answer: Answer{Status: "rejected", OrderID: n.OrderID,
			Decision: res.Verdict.Decision.String(), Message: "amount mismatch: recorded, not applied"}}
	}
	finish(payments.NotificationProcessed, detail)
	return Response{StatusCode: http.StatusOK, Answer: Answer{Status: "processed", OrderID: n.OrderID,
		Decision: res.Verdict.Decision.String(), Message: string(res.Verdict.Reason)}}
}

// failed records a transient failure and answers 503 so Midtrans retries.
func (h *Handler) failed(ctx context.Context, n *midtrans.TransactionResponse, rec *payments.Notification, what string, err error) Response {
	if ferr := h.store.FinishNotification(ctx, rec.ID, payments.NotificationFailed, what+": "+err.Error()); ferr != nil {
		h.log.LogAttrs(ctx, slog.LevelError, "notify: record failure", slog.String("error", ferr.Error()))
	}
	return h.unavailable(ctx, n, what, err)
}

func (h *Handler) unavailable(ctx context.Context, n *midtrans.TransactionResponse, what string, err error) Response {
	h.log.LogAttrs(ctx, slog.LevelError, "notify: transient failure, asking Midtrans to retry",
		slog.String("order_id", n.OrderID), slog.String("step", what), slog.String("error", err.Error()))
	return respond(http.StatusServiceUnavailable, "error", n.OrderID, what+" failed; retry later")
}

func (h *Handler) record(n *midtrans.TransactionResponse, body []byte, key string, valid bool) *payments.Notification {
	return &payments.Notification{
		DedupKey: key, OrderID: n.OrderID, TransactionID: n.TransactionID, Status: n.TransactionStatus,
		SignatureValid: valid, Body: body, ReceivedAt: h.now(),
	}
}

// verify checks the signature against every accepted key, each in constant
// time, and always all of them, so timing tells nothing about which matched.
func (h *Handler) verify(n *midtrans.TransactionResponse) bool {
	ok := h.client.VerifySignature(n.OrderID, n.StatusCode, n.GrossAmount, n.SignatureKey)
	for _, k := range h.keys {
		if midtrans.VerifySignature(n.OrderID, n.StatusCode, n.GrossAmount, n.SignatureKey, k) {
			ok = true
		}
	}
	return ok
}

// Parse decodes a notification body leniently: unknown fields are ignored
// and every field may be a string or a number (kept as written, so the
// signature is checked over the exact strings Midtrans signed).
func Parse(body []byte) (*midtrans.TransactionResponse, error) {
	var n midtrans.TransactionResponse
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("malformed notification: %w", err)
	}
	if len(n.Raw) == 0 {
		n.Raw = body
	}
	return &n, nil
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

// DedupKey identifies a notification event. Midtrans sends no event id, so
// the key is derived from the fields that change from one event of a
// transaction to the next: its status and fraud status, status code,
// amounts, and the refunds so far (the two notifications Midtrans sends per
// refund differ by bank_confirmed_at). Re-deliveries of one event share it.
func DedupKey(n *midtrans.TransactionResponse) string {
	parts := []string{n.OrderID, n.TransactionID, strings.ToLower(n.TransactionStatus), strings.ToLower(n.FraudStatus),
		n.StatusCode, n.GrossAmount, n.RefundAmount, fmt.Sprint(len(n.Refunds)), fmt.Sprint(len(n.PaymentAmounts))}
	if k := len(n.Refunds); k > 0 {
		parts = append(parts, n.Refunds[k-1].RefundKey, n.Refunds[k-1].BankConfirmedAt)
	}
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "n1:" + hex.EncodeToString(h.Sum(nil))
}

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
