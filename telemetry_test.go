package payments_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/notify"
	"github.com/nusapay/payments/store"
)

// lockedBuffer collects log lines from concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTelemetry runs a charge, a notification storm with a forged copy, a
// refund, a refused operation, a hook delivery failing to dead letter, a
// reconciler pass with a retried Midtrans call and a pruning pass, with the
// store's query hook on, all recorded by the SDK's in-memory reader and
// span recorder, and checks that every instrument is there with sane
// values (the outbox lag gauge among them), that every notification and
// every delivery attempt has a span, that the webhook's span is a linked
// root, and that no secret appears in any span, metric or log line.
func TestTelemetry(t *testing.T) {
	const serverKey, clientKey = "SB-Mid-server-SECRET-xyz", "SB-Mid-client-SECRET-abc"
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		spans := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		var logs lockedBuffer
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		db = db.WithQueryHook(store.QueryHook(tp))
		env := testenv.New(t, db, testenv.Config{
			Sim: midtranstest.Config{ServerKey: serverKey, ClientKey: clientKey},
			Client: func(c *midtrans.Config) {
				c.MeterProvider, c.Logger = mp, log
			},
			Options: []payments.Option{payments.WithMeterProvider(mp), payments.WithTracerProvider(tp),
				payments.WithLogger(log), fastDelivery(2),
				payments.WithReconciler(payments.ReconcileConfig{PendingAfter: time.Nanosecond, PendingEvery: time.Nanosecond}),
				payments.WithRetention(payments.RetentionConfig{DeliveredEvents: time.Nanosecond, ProcessedNotifications: time.Nanosecond})},
		})
		svc, ctx := env.Service, testenv.Ctx(t)
		h, err := notify.New(svc, notify.WithLogger(log))
		if err != nil {
			t.Fatal(err)
		}
		secrets := map[string]string{
			"server key":    serverKey,
			"client key":    clientKey,
			"authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(serverKey+":")),
		}

		// Charges: a card (its token must never be recorded) and GoPay.
		cardOpts := noThreeDS("4811111111111114")
		secrets["card token"] = cardOpts.TokenID
		if _, err := svc.CreateCharge(ctx, chargeReq("tel-card", "credit_card", cardOpts)); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateCharge(ctx, chargeReq("tel-1", "gopay", nil)); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateCharge(ctx, chargeReq("tel-1", "gopay", nil)); !errors.Is(err, payments.ErrDuplicateOrder) {
			t.Fatalf("second charge: %v", err)
		}
		svc.Connect(payments.SignalPaid, func(context.Context, *payments.Event) error { return errors.New("receiver down") })

		// A storm of one genuine notification, with a forged copy, each
		// under the caller's own span.
		if err := env.Sim.Pay("tel-1"); err != nil {
			t.Fatal(err)
		}
		fields := map[string]any{"order_id": "tel-1", "status_code": "200", "gross_amount": "145000.00",
			"transaction_status": "settlement", "payment_type": "gopay"}
		genuine, err := notify.Signed(serverKey, fields)
		if err != nil {
			t.Fatal(err)
		}
		forged, err := notify.Signed("SB-Mid-server-attacker", fields)
		if err != nil {
			t.Fatal(err)
		}
		secrets["signature_key"] = notify.Sign(serverKey, "tel-1", "200", "145000.00")
		secrets["forged signature_key"] = notify.Sign("SB-Mid-server-attacker", "tel-1", "200", "145000.00")
		caller, parent := tp.Tracer("test").Start(ctx, "webhook caller")
		var wg sync.WaitGroup
		results := make([]notify.Result, 6)
		for i := range results {
			wg.Go(func() {
				body := genuine
				if i == 5 {
					body = forged
				}
				results[i] = h.Handle(caller, body)
			})
		}
		wg.Wait()
		parent.End()
		kinds := map[notify.Kind]int{}
		for _, r := range results {
			kinds[r.Kind]++
		}
		if kinds[notify.Processed] != 1 || kinds[notify.Rejected] != 1 || kinds[notify.Duplicate] != 4 {
			t.Fatalf("storm results %v", kinds)
		}

		// A refund, and an operation the state refuses.
		if _, _, err := svc.Refund(ctx, "tel-1", payments.RefundRequest{Amount: 45000}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Expire(ctx, "tel-1"); !errors.Is(err, payments.ErrNotAllowed) {
			t.Fatalf("expire after refund: %v", err)
		}

		// The paid events' receiver (the card's and GoPay's) fails twice:
		// dead letters.
		drainDelivery(t, svc)

		// A reconciler pass over a pending payment, whose first status
		// call meets a 503 and is retried.
		if _, err := svc.CreateCharge(ctx, chargeReq("tel-pending", "gopay", nil)); err != nil {
			t.Fatal(err)
		}
		env.Sim.FailNext(1, 503)
		if n, err := svc.ReconcileOnce(ctx); err != nil || n < 1 {
			t.Fatalf("reconcile: %d synced, %v", n, err)
		}
		// The pending payment's events stay undelivered: the outbox lags.

		// A pruning pass: the delivered events and the processed
		// notification.
		pruned, err := svc.PruneOnce(ctx)
		if err != nil || pruned.Events < 1 || pruned.Notifications < 1 {
			t.Fatalf("prune: %+v, %v", pruned, err)
		}

		var rm metricdata.ResourceMetrics
		if err := reader.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		got := map[string]metricdata.Aggregation{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				got[m.Name] = m.Data
			}
		}
		sum := func(name string, want ...attribute.KeyValue) int64 {
			t.Helper()
			data, ok := got[name].(metricdata.Sum[int64])
			if !ok {
				t.Fatalf("no counter %s (have %v)", name, keys(got))
			}
			var n int64
			for _, dp := range data.DataPoints {
				if matches(dp.Attributes, want) {
					n += dp.Value
				}
			}
			return n
		}
		count := func(name string) uint64 {
			t.Helper()
			data, ok := got[name].(metricdata.Histogram[float64])
			if !ok {
				t.Fatalf("no histogram %s (have %v)", name, keys(got))
			}
			var n uint64
			for _, dp := range data.DataPoints {
				if dp.Sum < 0 {
					t.Errorf("%s: negative durations", name)
				}
				n += dp.Count
			}
			return n
		}
		gauge := func(name string) []metricdata.DataPoint[float64] {
			t.Helper()
			data, ok := got[name].(metricdata.Gauge[float64])
			if !ok {
				t.Fatalf("no gauge %s (have %v)", name, keys(got))
			}
			return data.DataPoints
		}
		str := attribute.String
		checks := []struct {
			what     string
			got, min int64
			max      int64
		}{
			{"card charge ok", sum("payments.charges", str("payments.method", "credit_card"), str("payments.result", "ok")), 1, 1},
			{"gopay charges ok", sum("payments.charges", str("payments.method", "gopay"), str("payments.result", "ok")), 2, 2},
			{"duplicate charge refused", sum("payments.charges", str("payments.result", "refused")), 1, 1},
			{"processed notifications", sum("payments.notifications", str("payments.result", "processed")), 1, 1},
			{"duplicate notifications", sum("payments.notifications", str("payments.result", "duplicate")), 4, 4},
			{"rejected notifications", sum("payments.notifications", str("payments.result", "rejected")), 1, 1},
			{"pending to settlement", sum("payments.transitions", str("payments.from", "pending"), str("payments.to", "settlement")), 1, 1},
			{"transitions", sum("payments.transitions"), 4, 100},
			{"refund ok", sum("payments.operations", str("payments.operation", "refund"), str("payments.method", "gopay"), str("payments.result", "ok")), 1, 1},
			{"expire refused", sum("payments.operations", str("payments.operation", "expire"), str("payments.result", "refused")), 1, 1},
			{"hook failures", sum("payments.hook.deliveries", str("payments.signal", "paid"), str("payments.result", "failed")), 4, 4},
			{"hooks delivered", sum("payments.hook.deliveries", str("payments.result", "delivered")), 1, 100},
			{"dead letters", sum("payments.hook.dead_letters", str("payments.signal", "paid")), 2, 2},
			{"reconciler batches", sum("payments.reconciler.batches"), 1, 10},
			{"reconciler synced", sum("payments.reconciler.synced", str("payments.result", "ok")), 1, 10},
			{"status retried on 503", sum("midtrans.retries", str("midtrans.operation", "status"), str("midtrans.retry_reason", "server_error")), 1, 1},
			{"midtrans calls", int64(count("midtrans.request.duration")), 6, 1000},
			{"outbox delays", int64(count("payments.outbox.delivery_delay")), 2, 1000},
			{"pruned events", sum("payments.pruned", str("payments.kind", "events")), int64(pruned.Events), int64(pruned.Events)},
			{"pruned notifications", sum("payments.pruned", str("payments.kind", "notifications")), int64(pruned.Notifications), int64(pruned.Notifications)},
		}
		for _, c := range checks {
			if c.got < c.min || c.got > c.max {
				t.Errorf("%s: %d, want %d..%d", c.what, c.got, c.min, c.max)
			}
		}
		if sum("midtrans.retries") < 1 {
			t.Error("no retry counted")
		}
		// The outbox lag: the age of the pending payment's oldest event,
		// for the Service's account.
		if lag := gauge("payments.outbox.oldest_pending_age"); len(lag) != 1 || !matches(lag[0].Attributes, []attribute.KeyValue{str("payments.account", payments.DefaultAccount)}) ||
			lag[0].Value <= 0 || lag[0].Value > 600 {
			t.Errorf("outbox lag %+v, want one positive age of the default account", lag)
		}

		// Spans: every notification and delivery has one; the webhook's
		// is a root linked to the caller's span.
		ended := spans.Ended()
		var handles, deliveries, queries int
		for _, s := range ended {
			if set := attribute.NewSet(s.Attributes()...); set.HasValue("db.system.name") {
				queries++
			}
			switch s.Name() {
			case "notify.Handle":
				handles++
				if s.Parent().IsValid() || len(s.Links()) != 1 || s.Links()[0].SpanContext.SpanID() != parent.SpanContext().SpanID() {
					t.Errorf("notify.Handle: parent %v, links %v; want a root linked to the caller", s.Parent(), s.Links())
				}
			case "payments.deliver":
				deliveries++
			}
		}
		if n := sum("payments.notifications"); handles != 6 || int64(handles) != n {
			t.Errorf("%d notify.Handle spans for %d notifications, want 6", handles, n)
		}
		if n := sum("payments.hook.deliveries"); deliveries < 3 || int64(deliveries) != n {
			t.Errorf("%d payments.deliver spans for %d delivery attempts", deliveries, n)
		}
		if queries < 20 {
			t.Errorf("%d query spans", queries)
		}

		// No secret anywhere.
		var recorded []string
		for _, s := range ended {
			recorded = append(recorded, s.Name(), s.Status().Description)
			recorded = append(recorded, attrStrings(s.Attributes())...)
			for _, e := range s.Events() {
				recorded = append(recorded, e.Name)
				recorded = append(recorded, attrStrings(e.Attributes)...)
			}
			for _, l := range s.Links() {
				recorded = append(recorded, attrStrings(l.Attributes)...)
			}
		}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				recorded = append(recorded, metricAttrStrings(m.Data)...)
			}
		}
		if len(recorded) < 50 || logs.String() == "" {
			t.Fatalf("recorded only %d values and %d log bytes", len(recorded), len(logs.String()))
		}
		recorded = append(recorded, strings.Split(logs.String(), "\n")...)
		for what, secret := range secrets {
			for _, v := range recorded {
				if strings.Contains(v, secret) {
					t.Errorf("the %s is recorded: %q", what, v)
				}
			}
		}
	})
}

func keys(m map[string]metricdata.Aggregation) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// matches reports whether set holds every attribute of want.
func matches(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}

func attrStrings(kvs []attribute.KeyValue) []string {
	out := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, string(kv.Key)+"="+kv.Value.Emit())
	}
	return out
}

func metricAttrStrings(data metricdata.Aggregation) []string {
	var sets []attribute.Set
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
		}
	case metricdata.Gauge[float64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
		}
	default:
		return []string{fmt.Sprintf("unexpected aggregation %T", data)}
	}
	var out []string
	for _, s := range sets {
		out = append(out, attrStrings(s.ToSlice())...)
	}
	return out
}

// TestOutboxLagNotObserved: when the store cannot answer, because the
// database is gone or because the outbox is locked past the callback's
// time limit, the outbox lag gauge is skipped and logged at debug level,
// and the collection of every other metric goes on without an error.
func TestOutboxLagNotObserved(t *testing.T) {
	for _, tc := range []struct {
		name  string
		open  func(testing.TB) *bun.DB
		spoil func(t *testing.T, db *bun.DB)
	}{
		{"closed database", dbtest.SQLite, func(t *testing.T, db *bun.DB) {
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		}},
		{"outbox locked", dbtest.Postgres, func(t *testing.T, db *bun.DB) {
			tx, err := db.BeginTx(testenv.Ctx(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tx.Rollback() })
			if _, err := tx.Exec("LOCK TABLE nusapay_outbox IN ACCESS EXCLUSIVE MODE"); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			var logs lockedBuffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			db := tc.open(t)
			env := testenv.New(t, db, testenv.Config{Options: []payments.Option{payments.WithMeterProvider(mp), payments.WithLogger(log)}})
			ctx := testenv.Ctx(t)
			if _, err := env.Service.CreateCharge(ctx, chargeReq("lag-1", "gopay", nil)); err != nil {
				t.Fatal(err)
			}
			collect := func() map[string]metricdata.Aggregation {
				t.Helper()
				var rm metricdata.ResourceMetrics
				if err := reader.Collect(ctx, &rm); err != nil {
					t.Fatalf("collect: %v", err)
				}
				got := map[string]metricdata.Aggregation{}
				for _, sm := range rm.ScopeMetrics {
					for _, m := range sm.Metrics {
						got[m.Name] = m.Data
					}
				}
				return got
			}
			// The charge's event waits: the gauge is there.
			if _, ok := collect()["payments.outbox.oldest_pending_age"]; !ok {
				t.Fatal("no outbox lag while the charge's event waits")
			}
			tc.spoil(t, db)
			start := time.Now()
			got := collect()
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("collection took %s", took)
			}
			if _, ok := got["payments.outbox.oldest_pending_age"]; ok {
				t.Error("outbox lag observed without an answer from the store")
			}
			if _, ok := got["payments.charges"]; !ok {
				t.Errorf("the other metrics are not collected: %v", keys(got))
			}
			if !strings.Contains(logs.String(), "level=DEBUG msg=\"payments: outbox lag not observed\"") {
				t.Errorf("no debug log line:\n%s", logs.String())
			}
		})
	}
}

// TestOutboxLagPerAccount: two Services of two accounts on one meter
// provider each observe their own account's lag: the account waiting
// longer shows the larger age, and an account with nothing pending shows 0.
func TestOutboxLagPerAccount(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	env := testenv.New(t, dbtest.SQLite(t), testenv.Config{Options: []payments.Option{payments.WithMeterProvider(mp)}})
	ctx := testenv.Ctx(t)
	services := map[string]*payments.Service{payments.DefaultAccount: env.Service}
	for _, account := range []string{"shop-b", "shop-idle"} {
		svc, err := payments.New(env.Client, env.Store, payments.WithAccount(account), payments.WithMeterProvider(mp),
			payments.WithMethods(methods.Default()...))
		if err != nil {
			t.Fatal(err)
		}
		services[account] = svc
	}
	if _, err := services[payments.DefaultAccount].CreateCharge(ctx, chargeReq("lag-a", "gopay", nil)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := services["shop-b"].CreateCharge(ctx, chargeReq("lag-b", "gopay", nil)); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	ages := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if g, ok := m.Data.(metricdata.Gauge[float64]); ok && m.Name == "payments.outbox.oldest_pending_age" {
				for _, dp := range g.DataPoints {
					account, _ := dp.Attributes.Value("payments.account")
					ages[account.AsString()] = dp.Value
				}
			}
		}
	}
	if len(ages) != 3 || ages["shop-idle"] != 0 || ages["shop-b"] <= 0 || ages[payments.DefaultAccount] < ages["shop-b"]+0.04 {
		t.Errorf("outbox lag by account %v: want the default account's older than shop-b's, shop-idle's 0", ages)
	}
}
