package payments

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/nusapay/payments/midtrans"
)

// Metric attributes are low-cardinality by design: method and operation
// names, statuses, signals and results. Order ids, keys, tokens and URLs
// are never recorded in a metric (spans carry the order id, nothing more).
const (
	attrMethod    = "payments.method"
	attrOperation = "payments.operation"
	attrResult    = "payments.result"
	attrFrom      = "payments.from"
	attrTo        = "payments.to"
	attrSignal    = "payments.signal"
	attrKind      = "payments.kind"
	attrAccount   = "payments.account"
)

// Results of a charge or an operation.
const (
	resultOK      = "ok"
	resultRefused = "refused"
	resultUnknown = "unknown"
	resultError   = "error"
)

// instruments are the Service's metrics. Creating an instrument only fails
// for an invalid name, which a test would catch; the API then returns a
// no-op instrument, so a failure never stops the Service.
type instruments struct {
	charges, operations, transitions  metric.Int64Counter
	hookDeliveries, hookDead          metric.Int64Counter
	deliveryDelay                     metric.Float64Histogram
	reconcileBatches, reconcileSynced metric.Int64Counter
	pruned                            metric.Int64Counter
}

func newInstruments(mp metric.MeterProvider) *instruments {
	m := mp.Meter(tracerName)
	var in instruments
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, _ := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		return c
	}
	in.charges = counter("payments.charges", "{charge}", "CreateCharge calls by method and result (ok, refused, unknown, error)")
	in.operations = counter("payments.operations", "{operation}", "Follow-up operations (cancel, expire, approve, deny, capture, refund, direct_refund) by operation, method and result")
	in.transitions = counter("payments.transitions", "{transition}", "Applied status changes by from and to status")
	in.hookDeliveries = counter("payments.hook.deliveries", "{delivery}", "Hook event delivery attempts by signal and result (delivered, failed)")
	in.hookDead = counter("payments.hook.dead_letters", "{event}", "Hook events given up after the last attempt, by signal")
	in.reconcileBatches = counter("payments.reconciler.batches", "{batch}", "Batches of payments the reconciler read")
	in.reconcileSynced = counter("payments.reconciler.synced", "{payment}", "Payments the reconciler synced, by result (ok, error)")
	in.pruned = counter("payments.pruned", "{row}", "Rows retention deleted, by kind (events, notifications)")
	in.deliveryDelay, _ = m.Float64Histogram("payments.outbox.delivery_delay", metric.WithUnit("s"),
		metric.WithDescription("Age of a hook event when it is delivered or given up: the outbox's lag"))
	return &in
}

// outboxLagTimeout bounds the outbox lag gauge's query, so a slow database
// delays a metric collection by this much at most.
const outboxLagTimeout = 2 * time.Second

// observeOutboxLag registers the gauge payments.outbox.oldest_pending_age:
// the age of the account's oldest hook event that is neither delivered nor
// dead (0 when none waits), read from the Store at each collection. It
// rises while receivers fail or no process runs delivery, where
// payments.outbox.delivery_delay, recorded on delivery, stays silent. New
// calls it once its store view is set; the callback stays registered with
// the meter provider for as long as the provider lives. It is registered
// apart from the instrument, which every Service shares: each Service
// observes its own account.
func (s *Service) observeOutboxLag() {
	m := s.mp.Meter(tracerName)
	lag, err := m.Float64ObservableGauge("payments.outbox.oldest_pending_age", metric.WithUnit("s"),
		metric.WithDescription("Age of the account's oldest hook event neither delivered nor dead (0 when none waits): the outbox's lag"))
	if err != nil {
		return
	}
	_, _ = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		s.observeLag(ctx, o, lag)
		return nil
	}, lag)
}

// observeLag observes the outbox lag. A failed or slow read skips the
// observation and is logged at debug level: it never fails the collection
// of the other metrics.
func (s *Service) observeLag(ctx context.Context, o metric.Observer, lag metric.Float64Observable) {
	ctx, cancel := context.WithTimeout(ctx, outboxLagTimeout)
	defer cancel()
	oldest, ok, err := s.store.OldestPendingEvent(ctx)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelDebug, "payments: outbox lag not observed", slog.String("error", err.Error()))
		return
	}
	var age float64
	if ok {
		age = max(s.now().Sub(oldest), 0).Seconds()
	}
	o.ObserveFloat64(lag, age, metric.WithAttributes(attribute.String(attrAccount, s.account)))
}

// WithMeterProvider sets the OpenTelemetry meter provider; the default (and
// nil) is the global one (otel.GetMeterProvider()). Only the OpenTelemetry
// API is used: the host chooses the SDK and exporter.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(s *Service) error {
		if mp != nil {
			s.mp = mp
		}
		return nil
	})
}

// TracerProvider returns the tracer provider the Service records spans
// with, for packages that record spans of their own on its behalf (notify).
func (s *Service) TracerProvider() trace.TracerProvider { return s.tp }

// MeterProvider returns the meter provider the Service records metrics
// with (see TracerProvider).
func (s *Service) MeterProvider() metric.MeterProvider { return s.mp }

// outcome sorts a charge's or an operation's error into a metric result:
// ok; refused (bad input, a state or method that does not allow it, or a
// definite refusal by Midtrans); unknown (Midtrans may have done it); or
// error (anything else: not sent, rate limited, a store failure).
func outcome(err error) string {
	var apiErr *midtrans.APIError
	switch {
	case err == nil:
		return resultOK
	case errors.Is(err, ErrOutcomeUnknown), errors.Is(err, midtrans.ErrOutcomeUnknown):
		return resultUnknown
	case errors.Is(err, midtrans.ErrRateLimited), errors.Is(err, midtrans.ErrUpstreamUnavailable):
		return resultError
	case errors.Is(err, ErrValidation), errors.Is(err, ErrNotAllowed), errors.Is(err, ErrUnsupported),
		errors.Is(err, ErrDuplicateOrder), errors.Is(err, ErrInvalidAmount), errors.Is(err, ErrNotFound),
		errors.Is(err, midtrans.ErrInvalidRequest), errors.As(err, &apiErr):
		return resultRefused
	}
	return resultError
}

func (s *Service) countCharge(ctx context.Context, method string, err error) {
	s.inst.charges.Add(ctx, 1, metric.WithAttributes(attribute.String(attrMethod, method),
		attribute.String(attrResult, outcome(err))))
}

func (s *Service) countOperation(ctx context.Context, op, method string, err error) {
	s.inst.operations.Add(ctx, 1, metric.WithAttributes(attribute.String(attrOperation, op),
		attribute.String(attrMethod, method), attribute.String(attrResult, outcome(err))))
}

// countTransition counts an applied change by its from and to status.
func (s *Service) countTransition(ctx context.Context, res *ApplyResult) {
	if res.Verdict.Decision != Applied || res.Payment == nil {
		return
	}
	s.inst.transitions.Add(ctx, 1, metric.WithAttributes(attribute.String(attrFrom, string(res.Previous.Status)),
		attribute.String(attrTo, string(res.Payment.Status))))
}

// countPruned counts rows retention deleted, by kind.
func (s *Service) countPruned(ctx context.Context, kind string, n int) {
	if n > 0 {
		s.inst.pruned.Add(ctx, int64(n), metric.WithAttributes(attribute.String(attrKind, kind)))
	}
}

// countDelivery counts one delivery attempt of an event and, once it is
// delivered or dead, how long it waited in the outbox.
func (s *Service) countDelivery(ctx context.Context, ob *OutboxEvent, signal Signal, result string) {
	sig := attribute.String(attrSignal, string(signal))
	if result == "dead" {
		s.inst.hookDeliveries.Add(ctx, 1, metric.WithAttributes(sig, attribute.String(attrResult, "failed")))
		s.inst.hookDead.Add(ctx, 1, metric.WithAttributes(sig))
	} else {
		s.inst.hookDeliveries.Add(ctx, 1, metric.WithAttributes(sig, attribute.String(attrResult, result)))
	}
	if result != "failed" && !ob.CreatedAt.IsZero() {
		s.inst.deliveryDelay.Record(ctx, max(s.now().Sub(ob.CreatedAt), 0).Seconds(), metric.WithAttributes(sig))
	}
}
