package midtrans

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const meterName = "github.com/nusapay/payments/midtrans"

// instruments are the Client's metrics. Their attributes are the operation
// name, an HTTP status class and a retry reason: never a path (it holds
// order ids), a header or a body.
type instruments struct {
	duration metric.Float64Histogram
	retries  metric.Int64Counter
}

func newInstruments(mp metric.MeterProvider) *instruments {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(meterName)
	// Creating an instrument fails only for an invalid name; the API then
	// hands back a working no-op instrument.
	duration, _ := m.Float64Histogram("midtrans.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of one HTTP exchange with Midtrans, by operation and HTTP status class"))
	retries, _ := m.Int64Counter("midtrans.retries", metric.WithUnit("{retry}"),
		metric.WithDescription("Calls repeated after a failed attempt, by operation and reason"))
	return &instruments{duration: duration, retries: retries}
}

// statusClass is "2xx" … "5xx", or "error" when no answer came.
func statusClass(status int) string {
	switch {
	case status >= 100 && status < 600:
		return string(rune('0'+status/100)) + "xx"
	}
	return "error"
}

// retryReason names why an attempt is repeated, in a few fixed words.
func retryReason(transport, inFlight bool, code int) string {
	switch {
	case transport:
		return "transport"
	case inFlight:
		return "in_flight"
	case code == http.StatusTooManyRequests:
		return "rate_limited"
	case code >= 500:
		return "server_error"
	}
	return "http_" + statusClass(code)
}

// recordAttempt and recordRetry ask Enabled first: building the
// attributes costs allocations on every call, also for the no-op provider.
func (c *Client) recordAttempt(ctx context.Context, op string, status int, d time.Duration) {
	if !c.inst.duration.Enabled(ctx) {
		return
	}
	c.inst.duration.Record(ctx, d.Seconds(), metric.WithAttributes(
		attribute.String("midtrans.operation", op), attribute.String("http.status_class", statusClass(status))))
}

func (c *Client) recordRetry(ctx context.Context, op, reason string) {
	if !c.inst.retries.Enabled(ctx) {
		return
	}
	c.inst.retries.Add(ctx, 1, metric.WithAttributes(
		attribute.String("midtrans.operation", op), attribute.String("midtrans.retry_reason", reason)))
}
