package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/adapters/nethttp"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/notify"
	"github.com/nusapay/payments/store"
)

// benchAmount is every benchmark order's amount, in rupiah.
const benchAmount = 50000

// server is an HTTP server on a loopback port.
type server struct {
	srv *http.Server
	url string
}

func serve(h http.Handler) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}, url: "http://" + l.Addr().String()}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *server) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// newClient returns a Midtrans client for the simulator.
func newClient(sim *midtranstest.Server) (*midtrans.Client, error) {
	return midtransClient(sim.ServerKey(), sim.ClientKey(), sim.URL())
}

// midtransClient returns a Midtrans client for the simulator at baseURL,
// with short retry waits.
func midtransClient(serverKey, clientKey, baseURL string) (*midtrans.Client, error) {
	return midtrans.New(midtrans.Config{ServerKey: serverKey, ClientKey: clientKey, BaseURL: baseURL,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 20 * time.Millisecond, Timeout: 10 * time.Second})
}

// fixedOrders is the benchmark's OrderSource: every order ref is an order
// of benchAmount, charged under its own ref as order id.
func fixedOrders() adapters.OrderSource {
	return adapters.OrderSourceFunc(func(_ context.Context, ref, _ string) (*adapters.Order, error) {
		return &adapters.Order{OrderID: ref, Amount: benchAmount}, nil
	})
}

// moduleStack is the module as an application mounts it: a Service on the
// Bun store, its notify handler and routes on net/http.
type moduleStack struct {
	svc *payments.Service
	st  *store.Store
	srv *server
}

func newModuleStack(db *bun.DB, client *midtrans.Client, svcOpts []payments.Option, notifyOpts []notify.Option, apiOpts ...adapters.Option) (*moduleStack, error) {
	st, err := store.New(db)
	if err != nil {
		return nil, err
	}
	svc, err := payments.New(client, st, append([]payments.Option{payments.WithMethods(methods.Default()...)}, svcOpts...)...)
	if err != nil {
		return nil, err
	}
	h, err := notify.New(svc, notifyOpts...)
	if err != nil {
		return nil, err
	}
	api, err := adapters.New(svc, append([]adapters.Option{adapters.WithNotifyHandler(h), adapters.WithOrderSource(fixedOrders())}, apiOpts...)...)
	if err != nil {
		return nil, err
	}
	srv, err := serve(nethttp.Handler(api))
	if err != nil {
		return nil, err
	}
	return &moduleStack{svc: svc, st: st, srv: srv}, nil
}

// seedPending writes pending payments for orderIDs in one transaction
// through the store (not measured), and returns their signed settlement
// notifications.
func seedPending(ctx context.Context, db *bun.DB, serverKey string, orderIDs []string) ([][]byte, error) {
	bodies := make([][]byte, len(orderIDs))
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st, err := store.New(tx)
		if err != nil {
			return err
		}
		st2 := st.ForAccount(payments.DefaultAccount)
		for i, id := range orderIDs {
			if err := st2.CreatePayment(ctx, &payments.Payment{OrderID: id, Method: "gopay", Amount: benchAmount}); err != nil {
				return fmt.Errorf("seed %s: %w", id, err)
			}
			if _, err := st2.Apply(ctx, &payments.Change{OrderID: id, To: payments.State{Status: payments.StatusPending}, Source: payments.SourceCharge}); err != nil {
				return fmt.Errorf("seed %s: %w", id, err)
			}
			if bodies[i], err = notify.Signed(serverKey, map[string]any{"order_id": id, "transaction_id": "tx-" + id,
				"status_code": "200", "gross_amount": "50000.00", "transaction_status": "settlement", "fraud_status": "accept",
				"payment_type": "gopay", "transaction_time": "2026-11-21 10:00:00", "currency": "IDR"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return bodies, nil
}
