package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"
)

// metricsEvery is how often the shop prints its metrics with -telemetry;
// Close prints them once more.
const metricsEvery = 30 * time.Second

// telemetry is the OpenTelemetry SDK the shop installs with -telemetry:
// spans and metrics printed to a writer as indented JSON, each span once it
// ends (in batches), the metrics every metricsEvery. The module itself
// only uses the OpenTelemetry API: this is the host's choice of SDK and
// exporter, as an integrator would make it with an OTLP exporter instead.
type telemetry struct {
	tp *sdktrace.TracerProvider
	mp *sdkmetric.MeterProvider
}

func newTelemetry(w io.Writer) (*telemetry, error) {
	spans, err := stdouttrace.New(stdouttrace.WithWriter(w), stdouttrace.WithPrettyPrint())
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	metrics, err := stdoutmetric.New(stdoutmetric.WithWriter(w), stdoutmetric.WithPrettyPrint())
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	res := resource.NewSchemaless(semconv.ServiceName("nusapay-shop"))
	return &telemetry{
		tp: sdktrace.NewTracerProvider(sdktrace.WithBatcher(spans), sdktrace.WithResource(res),
			sdktrace.WithSampler(sdktrace.ParentBased(quietPolling{}))),
		mp: sdkmetric.NewMeterProvider(sdkmetric.WithResource(res),
			sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metrics, sdkmetric.WithInterval(metricsEvery)))),
	}, nil
}

// shutdown prints what is still buffered (the last spans, the metrics once
// more) and stops. The metrics read the database (the outbox lag), so it
// runs before the database closes.
func (t *telemetry) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(t.tp.Shutdown(ctx), t.mp.Shutdown(ctx))
}

// quietPolling samples every trace but those a database query starts: the
// delivery workers and the reconciler poll the database every second, and
// the outbox lag gauge reads it at each metric report. A query made for a
// request, a notification or a hook delivery is a child of that span (the
// sampler is used under ParentBased, for roots only) and is printed.
type quietPolling struct{}

func (quietPolling) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	ts := trace.SpanContextFromContext(p.ParentContext).TraceState()
	for _, kv := range p.Attributes {
		if kv.Key == semconv.DBSystemNameKey {
			return sdktrace.SamplingResult{Decision: sdktrace.Drop, Tracestate: ts}
		}
	}
	return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample, Tracestate: ts}
}

func (quietPolling) Description() string { return "QuietPolling" }
