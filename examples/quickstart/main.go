// Command quickstart is the README's five-minute integration as one program
// that runs as written: a Service on SQLite with the built-in methods, its
// routes on net/http, a hook for paid orders, and one BCA virtual-account
// order charged and paid through the Midtrans simulator (package
// midtranstest), whose signed notification reaches the webhook and fires the
// hook. It needs no Midtrans account and exits by itself.
//
//	go run ./examples/quickstart
//
// The README's Go blocks are cut from this file (see the snippet markers);
// internal/readme fails if they drift apart.
package main

// snippet:start imports
import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/adapters/nethttp"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/store"
)

// snippet:end imports

func main() {
	dir, err := os.MkdirTemp("", "quickstart")
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // exits even if something hangs
	err = run(ctx, os.Stdout, filepath.Join(dir, "shop.db"))
	cancel()
	os.RemoveAll(dir)
	if err != nil {
		log.Fatal(err)
	}
}

// snippet:start run
// run is the whole flow: the simulator stands in for Midtrans, a customer
// pays a BCA virtual account, and the paid hook fulfils the order.
func run(ctx context.Context, out io.Writer, dbPath string) error {
	sim := midtranstest.NewServer(midtranstest.Config{}) // Midtrans, simulated: no account needed
	defer sim.Close()
	svc, closeDB, err := newService(ctx, dbPath, midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL()})
	if err != nil {
		return err
	}
	defer closeDB()
	paid, fulfilled := context.WithCancel(ctx) // done once the hook has run
	svc.Connect(payments.SignalPaid, func(ctx context.Context, e *payments.Event) error {
		fmt.Fprintf(out, "paid: fulfil order %s\n", e.Payment.OrderID) // your fulfilment; dedupe on e.ID
		fulfilled()
		return nil
	})
	webhook, stop, err := serve(ctx, "127.0.0.1:0", svc)
	if err != nil {
		return err
	}
	defer stop()
	sim.SetNotificationURL(webhook) // what you enter in Midtrans' dashboard
	p, err := svc.CreateCharge(ctx, &payments.ChargeRequest{OrderID: "INV-1001", Method: "bca_va", Amount: 150000})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "order %s: transfer %s to BCA virtual account %s\n", p.OrderID, p.Amount.Rupiah(), p.VANumber)
	if err := sim.Pay(p.OrderID); err != nil { // the customer pays at the bank
		return err
	}
	<-paid.Done()    // the signed notification reached the webhook and the hook ran
	return ctx.Err() // nil, unless ctx ended first
}

// snippet:end run

// snippet:start service
// newService opens the database, creates the module's tables (nusapay_*;
// safe from every replica at once) and returns a Service with the built-in
// methods. In production: store.OpenPostgres(dsn) or your own *bun.DB, and
// midtrans.Config{ServerKey: os.Getenv("MIDTRANS_SERVER_KEY"), Environment: midtrans.Production}.
func newService(ctx context.Context, dbPath string, cfg midtrans.Config) (svc *payments.Service, closeDB func() error, err error) {
	db, err := store.OpenSQLite(dbPath)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	if err := store.Migrate(ctx, db); err != nil {
		return nil, nil, err
	}
	st, err := store.New(db)
	if err != nil {
		return nil, nil, err
	}
	client, err := midtrans.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	svc, err = payments.New(client, st, payments.WithMethods(methods.Default()...))
	return svc, db.Close, err
}

// snippet:end service

// snippet:start serve
// serve mounts the routes (webhook, charges, status) on an http.Server with
// timeouts, listens on addr, and runs svc (hook delivery and the reconciler)
// until stop is called. It returns the webhook's URL.
func serve(ctx context.Context, addr string, svc *payments.Service) (webhook string, stop func(), err error) {
	orders := adapters.OrderSourceFunc(func(ctx context.Context, ref, method string) (*adapters.Order, error) {
		if ref != "cart-1" { // your order table: the price comes from you, never the browser
			return nil, payments.ErrNotFound
		}
		return &adapters.Order{OrderID: "INV-1002", Amount: 89000}, nil
	})
	api, err := adapters.New(svc, adapters.WithOrderSource(orders),
		adapters.WithAuthorizer(staffOnly(yourSessions)), adapters.WithConsole()) // operations and /payments/console
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	nethttp.Mount(mux, api) // or nethttp.Handler(api) for chi and other routers
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Print(err)
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(ctx) }() // in every replica
	return "http://" + ln.Addr().String() + api.Prefix() + "/notifications", func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			log.Print(err)
		}
		cancel()
		<-ran
	}, nil
}

// snippet:end serve

// snippet:start console
// staffOnly is the Authorizer of the operation routes and the ops console.
// It checks your own sign-in (session cookie, SSO header…) and returns who
// the person is: the console and every operation record it with what they
// did. Support staff may read; only finance may act.
func staffOnly(session func(*http.Request) (email, role string, ok bool)) adapters.Authorizer {
	return func(ctx context.Context, r *adapters.Request, op, orderID string) (string, error) {
		email, role, ok := session(r.Raw.(*http.Request)) // a fiber.Ctx with the Fiber adapter
		switch {
		case !ok:
			return "", adapters.ErrUnauthenticated // 401
		case role == "finance", role == "support" && op == adapters.OpView:
			return email, nil
		}
		return "", errors.New("not allowed") // 403
	}
}

// snippet:end console

// yourSessions stands for your application's sign-in: nobody is signed in
// here, so the console and the operations refuse everyone.
func yourSessions(*http.Request) (email, role string, ok bool) { return "", "", false }
