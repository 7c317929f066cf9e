package payments_test

import (
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/testenv"
)

// TestNilOptions: an option given nil keeps its default (a nil Option is
// skipped); WithMethods refuses a nil plugin. Each Service is then used:
// a charge, a sync, hook delivery and a reconciler pass.
func TestNilOptions(t *testing.T) {
	for name, opt := range map[string]payments.Option{
		"WithLogger":         payments.WithLogger(nil),
		"WithClock":          payments.WithClock(nil),
		"WithTracerProvider": payments.WithTracerProvider(nil),
		"WithMethods()":      payments.WithMethods(),
		"nil Option":         nil,
		"WithChargeDefaults": payments.WithChargeDefaults(payments.ChargeDefaults{}),
	} {
		t.Run(name, func(t *testing.T) {
			env := testenv.New(t, dbtestSQLite(t), testenv.Config{Options: []payments.Option{opt}})
			ctx := testenv.Ctx(t)
			svc := env.Service
			if _, err := svc.CreateCharge(ctx, chargeReq("nil-opt", "bca_va", nil)); err != nil {
				t.Fatal(err)
			}
			if err := env.Sim.Pay("nil-opt"); err != nil {
				t.Fatal(err)
			}
			if p, err := svc.Sync(ctx, "nil-opt"); err != nil || !p.Paid() {
				t.Fatalf("sync: %s %v", show(p), err)
			}
			if _, err := svc.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ReconcileOnce(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := payments.New(nil, nil, payments.WithMethods(nil)); err == nil {
		t.Error("New accepted nil client and store")
	}
	env := testenv.New(t, dbtestSQLite(t), testenv.Config{})
	if _, err := payments.New(env.Client, env.Store, payments.WithMethods(nil)); err == nil {
		t.Error("WithMethods(nil): no error")
	}
}
