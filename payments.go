package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/go-playground/validator/v10"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/nusapay/payments/internal/keylock"
	"github.com/nusapay/payments/midtrans"
)

// Service takes payments: it charges through Midtrans, keeps every payment
// and every change in the Store, and decides every change with the status
// machine, whatever its source. It is safe for concurrent use. Each Service
// owns its method registry and hooks, so several (two merchants, sandbox and
// production) live side by side.
type Service struct {
	client *midtrans.Client
	// store is the view of the host's store scoped to account.
	store    Store
	account  string
	methods  registry
	validate *validator.Validate // for its email rule (checkContact)
	log      *slog.Logger
	now      func() time.Time
	tracer   trace.Tracer
	tp       trace.TracerProvider
	mp       metric.MeterProvider
	inst     *instruments
	// unknownGrace is how long a charge whose outcome is unknown may stay
	// unknown before a "not found" from Midtrans means it was never made.
	unknownGrace time.Duration

	hooks     *hub
	delivery  DeliveryConfig
	reconcile ReconcileConfig
	retention RetentionConfig
	instance  string
	wakeup    chan struct{}
	// charging lets one CreateCharge per order id run at a time in this
	// process, and notifying one ApplyNotification per notification: a
	// second caller waits for the first instead of repeating its call.
	charging, notifying keylock.Set

	// chargeDefaults are the host's defaults for charges (WithChargeDefaults).
	chargeDefaults ChargeDefaults
}

// Option configures a Service.
type Option interface{ apply(*Service) error }

type optionFunc func(*Service) error

func (f optionFunc) apply(s *Service) error { return f(s) }

// WithMethods registers payment-method plugins, built-in (methods.Default())
// or the integrator's own. A name registered twice is an error from New.
func WithMethods(ms ...Method) Option {
	return optionFunc(func(s *Service) error {
		for _, m := range ms {
			if err := s.methods.add(m); err != nil {
				return err
			}
		}
		return nil
	})
}

// Options given nil keep their default, as otelhttp's do: a nil logger,
// clock or tracer provider is never stored to panic later.

// WithLogger sets the logger; the default (and nil) discards.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(s *Service) error {
		if l != nil {
			s.log = l
		}
		return nil
	})
}

// WithClock sets the clock used for deadlines and reconciliation; nil
// keeps time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(s *Service) error {
		if now != nil {
			s.now = now
		}
		return nil
	})
}

// WithTracerProvider sets the OpenTelemetry tracer provider; the default
// (and nil) is the global one (otel.GetTracerProvider()). Only the
// OpenTelemetry API is used: the host chooses the SDK and exporter.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(s *Service) error {
		if tp != nil {
			s.tp = tp
		}
		return nil
	})
}

// WithUnknownGrace sets how long a charge with an unknown outcome (a timeout,
// a crash before the answer) waits before Midtrans answering "not found"
// marks it failed. Default 10 minutes: twice Midtrans' idempotency window, so
// a charge still in flight at Midtrans is never written off.
func WithUnknownGrace(d time.Duration) Option {
	return optionFunc(func(s *Service) error {
		if d <= 0 {
			return errors.New("payments: unknown grace must be positive")
		}
		s.unknownGrace = d
		return nil
	})
}

// WithAccount names the merchant account the Service belongs to (default
// DefaultAccount): 1-64 characters of A-Z a-z 0-9 _ . -. Every payment,
// notification, refund and hook event the Service stores carries it, and
// every read, outbox claim and reconciler pass sees only its own, so two
// Services with different accounts (two merchants, sandbox and production)
// share one database without touching each other's rows. Keep a Service's
// account fixed for the life of its data: renaming it orphans its payments.
func WithAccount(name string) Option {
	return optionFunc(func(s *Service) error {
		if !accountPattern.MatchString(name) {
			return fmt.Errorf("payments: account %q: must be 1-64 characters of A-Z a-z 0-9 _ . -", name)
		}
		s.account = name
		return nil
	})
}

var accountPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

const tracerName = "github.com/nusapay/payments"

// New returns a Service charging through client and storing in store. It
// calls store.ForAccount once with the Service's account (see WithAccount)
// and uses only that view.
func New(client *midtrans.Client, store Store, opts ...Option) (*Service, error) {
	if client == nil {
		return nil, errors.New("payments: nil midtrans client")
	}
	if store == nil {
		return nil, errors.New("payments: nil store")
	}
	s := &Service{
		client:       client,
		store:        store,
		account:      DefaultAccount,
		methods:      registry{byName: map[string]Method{}},
		validate:     validator.New(), // its own: a host's validator settings never reach it
		log:          slog.New(slog.DiscardHandler),
		now:          time.Now,
		tp:           otel.GetTracerProvider(),
		mp:           otel.GetMeterProvider(),
		unknownGrace: 10 * time.Minute,
		hooks:        newHub(),
		instance:     defaultInstance(),
		wakeup:       make(chan struct{}, 1),
	}
	s.delivery.setDefaults()
	s.reconcile.setDefaults()
	s.retention.setDefaults()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(s); err != nil {
			return nil, err
		}
	}
	s.tracer = s.tp.Tracer(tracerName)
	s.inst = newInstruments(s.mp)
	// From here on the Service sees only its own account's rows.
	if s.store = store.ForAccount(s.account); s.store == nil {
		return nil, fmt.Errorf("payments: store returned no view of account %s", s.account)
	}
	s.observeOutboxLag()
	return s, nil
}

// Method returns the registered plugin with that name.
func (s *Service) Method(name string) (Method, bool) {
	m, ok := s.methods.byName[name]
	return m, ok
}

// Methods returns the registered plugin names, sorted.
func (s *Service) Methods() []string { return s.methods.names() }

// Account returns the merchant account the Service belongs to (see
// WithAccount).
func (s *Service) Account() string { return s.account }

// Store returns the Service's store: the view of the store passed to New
// scoped to the Service's account.
func (s *Service) Store() Store { return s.store }

// Client returns the Service's Midtrans client.
func (s *Service) Client() *midtrans.Client { return s.client }

// Payment returns the stored payment for an order, without asking Midtrans
// (see Sync). An order id ValidOrderID rejects is a *ValidationError naming
// order_id; so it is for every method that takes one.
func (s *Service) Payment(ctx context.Context, orderID string) (*Payment, error) {
	if err := checkOrderID(orderID); err != nil {
		return nil, err
	}
	return s.store.Payment(ctx, orderID)
}

// span starts a span named for a Service operation.
func (s *Service) span(ctx context.Context, op, orderID string) (context.Context, trace.Span) {
	return s.tracer.Start(ctx, "payments."+op, trace.WithAttributes(attribute.String("payments.order_id", orderID)))
}

// end records err on the span and ends it.
func end(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// CreateCharge starts a payment: it validates req (every bad field is named
// in a *ValidationError, and nothing is stored or sent), stores the payment
// as initiated, calls Midtrans with an idempotency key derived from the
// payment, and applies the answer through the status machine.
//
// The returned payment says what happened: pending with instructions to
// show, paid (a card captured at once), or failed (a card denied, or
// Midtrans refusing the request, in which case the error says why).
//
// When the outcome is unknown (a timeout, a broken connection, a Midtrans
// 5xx) the payment is left StatusUnknown and the error wraps
// ErrOutcomeUnknown; a notification or Sync resolves it. It is never
// treated as failed.
//
// When the order already has a payment, nothing is charged: the existing
// payment is returned with an error wrapping ErrDuplicateOrder — unless that
// payment never got an answer from Midtrans (initiated or unknown), in which
// case the same charge is sent again with the same idempotency key, which
// Midtrans answers once. Concurrent calls for one order (a double-click)
// do not race to Midtrans: in one process they run one after another, so
// the later ones get the first one's payment with ErrDuplicateOrder; a call
// that finds the payment initiated a moment ago (another replica charging
// it) waits briefly, bounded by ctx, for that answer before sending again.
func (s *Service) CreateCharge(ctx context.Context, req *ChargeRequest) (p *Payment, err error) {
	ctx, span := s.span(ctx, "CreateCharge", orderOf(req))
	method := "none"
	defer func() { s.countCharge(ctx, method, err); end(span, err) }()
	req = s.withDefaultExpiry(req)
	m, err := s.validateCharge(req)
	if err != nil {
		return nil, err
	}
	method = m.Name()
	span.SetAttributes(attribute.String("payments.method", m.Name()))
	built, err := m.Build(req)
	if err != nil {
		return nil, fmt.Errorf("charge %s: method %s: %w", req.OrderID, m.Name(), err)
	}
	if (built.Core == nil) == (built.Snap == nil) {
		return nil, fmt.Errorf("charge %s: method %s built %s", req.OrderID, m.Name(), "neither or both of a Core and a Snap request")
	}
	s.applyCallbackDefaults(built)
	if err := s.resolveLinkedAccount(ctx, req, built); err != nil {
		return nil, err
	}
	p = &Payment{
		OrderID: req.OrderID, Method: m.Name(), Amount: req.Amount, Currency: "IDR", Status: StatusInitiated,
		Customer: req.Customer, Items: req.Items, Metadata: req.Metadata,
		CustomField1: req.CustomField1, CustomField2: req.CustomField2, CustomField3: req.CustomField3,
	}
	if built.Core != nil {
		p.PaymentType = built.Core.PaymentType
	}
	release, err := s.charging.Lock(ctx, req.OrderID)
	if err != nil {
		return nil, fmt.Errorf("charge %s: %w", req.OrderID, err)
	}
	defer release()
	if err := s.store.CreatePayment(ctx, p); err != nil {
		if !errors.Is(err, ErrDuplicateOrder) {
			return nil, fmt.Errorf("charge %s: %w", req.OrderID, err)
		}
		existing, gerr := s.store.Payment(ctx, req.OrderID)
		if gerr != nil {
			return nil, fmt.Errorf("charge %s: %w", req.OrderID, errors.Join(err, gerr))
		}
		existing = s.awaitAnswer(ctx, existing)
		if !existing.Status.Local() || existing.Method != m.Name() || existing.Amount != req.Amount {
			return existing, fmt.Errorf("charge %s: %w (its payment is %s, %s, %s)",
				req.OrderID, ErrDuplicateOrder, existing.Method, existing.Amount, existing.Status)
		}
		// Never answered: resume with the same idempotency key.
		p = existing
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "payments: charge", slog.String("order_id", p.OrderID),
		slog.String("method", p.Method), slog.Int64("amount", int64(p.Amount)))

	opts := []midtrans.CallOption{midtrans.WithIdempotencyKey(p.ID)}
	if len(req.OverrideNotificationURLs) > 0 {
		opts = append(opts, midtrans.WithOverrideNotification(req.OverrideNotificationURLs...))
	}
	if len(req.AppendNotificationURLs) > 0 {
		opts = append(opts, midtrans.WithAppendNotification(req.AppendNotificationURLs...))
	}
	if built.Snap != nil {
		snap, err := s.client.CreateSnapTransaction(ctx, built.Snap, opts...)
		if err != nil {
			return s.chargeFailed(ctx, p, err)
		}
		c := &Change{OrderID: p.OrderID, To: State{Status: StatusPending}, Source: SourceCharge,
			Instructions:   &Instructions{RedirectURL: snap.RedirectURL, SnapToken: snap.Token},
			ExpiresAt:      snapPageEnd(built.Snap, s.now()),
			ChargeResponse: snap.Raw, Payload: snap.Raw}
		return s.appliedFrom(ctx, p, p, c)
	}
	resp, err := s.client.Charge(ctx, built.Core, opts...)
	if err != nil {
		s.linkedChargeRefused(ctx, built, err)
		return s.chargeFailed(ctx, p, err)
	}
	c := s.changeFrom(p, m, resp, SourceCharge)
	c.ChargeResponse = resp.Raw
	return s.appliedFrom(ctx, p, p, c)
}

func orderOf(req *ChargeRequest) string {
	if req == nil {
		return ""
	}
	return req.OrderID
}

// chargeFailed records why a charge call failed and returns the error.
func (s *Service) chargeFailed(ctx context.Context, p *Payment, callErr error) (*Payment, error) {
	var apiErr *midtrans.APIError
	switch {
	case errors.Is(callErr, midtrans.ErrOutcomeUnknown), errors.Is(callErr, midtrans.ErrUpstreamUnavailable):
		// Midtrans may have made the transaction: unknown, never failed.
		got, err := s.applied(ctx, p, &Change{OrderID: p.OrderID, To: State{Status: StatusUnknown}, Source: SourceCharge,
			StatusMessage: callErr.Error()})
		if err != nil {
			return p, errors.Join(fmt.Errorf("charge %s: %w: %w", p.OrderID, ErrOutcomeUnknown, callErr), err)
		}
		return got, fmt.Errorf("charge %s: %w: %w", p.OrderID, ErrOutcomeUnknown, callErr)
	case errors.Is(callErr, midtrans.ErrDuplicateOrder):
		// Midtrans already has a transaction for this order id that this
		// payment never saw: adopt it through a status sync (which checks
		// the amount) instead of failing it.
		got, err := s.applied(ctx, p, &Change{OrderID: p.OrderID, To: State{Status: StatusUnknown}, Source: SourceCharge,
			StatusMessage: callErr.Error()})
		if err == nil {
			if synced, serr := s.sync(ctx, got, SourceSync); serr == nil {
				got = synced
			}
		}
		return got, fmt.Errorf("charge %s: %w: %w", p.OrderID, ErrDuplicateOrder, callErr)
	case errors.Is(callErr, midtrans.ErrRateLimited):
		// Refused before processing, but only for now: stay initiated so
		// that charging again resumes the payment.
		return p, fmt.Errorf("charge %s: %w", p.OrderID, callErr)
	case errors.As(callErr, &apiErr):
		// A definite refusal: Midtrans did not make the transaction.
		got, err := s.applied(ctx, p, &Change{OrderID: p.OrderID, To: State{Status: StatusFailure}, Source: SourceCharge,
			StatusMessage: apiErr.Message, Payload: jsonOrNil(apiErr.Body)})
		if err != nil {
			return p, errors.Join(fmt.Errorf("charge %s: %w", p.OrderID, callErr), err)
		}
		return got, fmt.Errorf("charge %s: %w", p.OrderID, callErr)
	default:
		// Not sent (ctx cancelled before sending, connection refused):
		// the payment stays initiated; charging again resumes it.
		return p, fmt.Errorf("charge %s: %w", p.OrderID, callErr)
	}
}

// applied applies c and returns the payment after it.
func (s *Service) applied(ctx context.Context, p *Payment, c *Change) (*Payment, error) {
	return s.appliedFrom(ctx, p, nil, c)
}

// appliedFrom is applied with prev, the payment as the store returned it
// and unchanged since (see priorApplier), or nil.
func (s *Service) appliedFrom(ctx context.Context, p, prev *Payment, c *Change) (*Payment, error) {
	res, err := s.applyFrom(ctx, prev, c)
	if err != nil {
		return p, fmt.Errorf("%s %s: record %s: %w", c.Source, p.OrderID, c.To.Status, err)
	}
	return res.Payment, nil
}

// priorApplier is a store that can apply a change to a payment it
// returned, planning against that payment instead of reading the row
// again; the row's version decides whether it still is the row (a lost
// compare-and-set reads and plans again). store.Store is one. The Service
// uses it for a charge's answer, with the payment CreatePayment (or the
// read of an unanswered one) returned under the charge's lock, and for a
// confirmed notification, with the payment read before asking Midtrans.
type priorApplier interface {
	ApplyFrom(ctx context.Context, prev *Payment, c *Change) (*ApplyResult, error)
	ApplyNotificationFrom(ctx context.Context, prev *Payment, n *Notification, change func(prev *Payment) *Change) (*ApplyResult, bool, error)
}

// apply applies c, logs the verdict and wakes the delivery workers.
func (s *Service) apply(ctx context.Context, c *Change) (*ApplyResult, error) {
	return s.applyFrom(ctx, nil, c)
}

// applyFrom is apply with prev (see appliedFrom).
func (s *Service) applyFrom(ctx context.Context, prev *Payment, c *Change) (*ApplyResult, error) {
	stampActor(ctx, c)
	var res *ApplyResult
	var err error
	if pa, ok := s.store.(priorApplier); ok && prev != nil {
		res, err = pa.ApplyFrom(ctx, prev, c)
	} else {
		res, err = s.store.Apply(ctx, c)
	}
	if err != nil {
		return nil, err
	}
	s.committed(ctx, c, res)
	return res, nil
}

// committed logs and counts a committed change, and wakes delivery for its
// events.
func (s *Service) committed(ctx context.Context, c *Change, res *ApplyResult) {
	s.logVerdict(ctx, c, res)
	s.countTransition(ctx, res)
	if len(res.Events) > 0 {
		s.wake()
	}
}

func (s *Service) logVerdict(ctx context.Context, c *Change, res *ApplyResult) {
	level := slog.LevelInfo
	switch {
	case res.Verdict.Reason == ReasonUnrecognized:
		// New statuses appear over time: keep, log, alert.
		level = slog.LevelError
	case res.Verdict.Reason == ReasonAmountMismatch:
		level = slog.LevelError
	case res.Verdict.Decision != Applied:
		level = slog.LevelDebug
	}
	s.log.LogAttrs(ctx, level, "payments: change "+res.Verdict.Decision.String(),
		slog.String("order_id", c.OrderID), slog.String("source", string(c.Source)),
		slog.String("from", string(res.Previous.Status)), slog.String("to", string(c.To.Status)),
		slog.String("reason", string(res.Verdict.Reason)))
}
