// Package testenv wires a whole payments stack for tests: the Midtrans
// simulator over real HTTP, a real database through the Bun store, the
// Midtrans client and a Service with every built-in method.
package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/store"
)

// Env is one stack.
type Env struct {
	Sim     *midtranstest.Server
	Client  *midtrans.Client
	DB      *bun.DB
	Store   *store.Store
	Service *payments.Service
}

// Config adjusts an Env before it is built.
type Config struct {
	Sim     midtranstest.Config
	Client  func(*midtrans.Config)
	Options []payments.Option
	// NoDefaultMethods leaves methods.Default() out.
	NoDefaultMethods bool
}

// New builds an Env on db.
func New(t testing.TB, db *bun.DB, cfg Config) *Env {
	t.Helper()
	sim := midtranstest.NewServer(cfg.Sim)
	t.Cleanup(sim.Close)
	ccfg := midtrans.Config{ServerKey: sim.ServerKey(), ClientKey: sim.ClientKey(), BaseURL: sim.URL(),
		RetryWaitMin: time.Millisecond, RetryWaitMax: 20 * time.Millisecond, Timeout: 10 * time.Second}
	if cfg.Client != nil {
		cfg.Client(&ccfg)
	}
	client, err := midtrans.New(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.New(db)
	if err != nil {
		t.Fatal(err)
	}
	var opts []payments.Option
	if !cfg.NoDefaultMethods {
		opts = append(opts, payments.WithMethods(methods.Default()...))
	}
	opts = append(opts, cfg.Options...)
	svc, err := payments.New(client, st, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Sim: sim, Client: client, DB: db, Store: st, Service: svc}
}

// Each runs fn against a fresh Env on SQLite and on PostgreSQL.
func Each(t *testing.T, cfg Config, fn func(t *testing.T, env *Env)) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) { fn(t, New(t, db, cfg)) })
}

// Ctx returns a context that ends with the test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
