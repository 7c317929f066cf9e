// Command fiber takes payments in a Fiber v3 app: the Service on SQLite,
// the module's routes mounted with adapters/fiber, amounts from the shop's
// own orders, operations behind a bearer token, hooks delivered by
// Service.Run, and a graceful shutdown.
//
//	go run ./examples/fiber
//	curl -X POST localhost:8080/payments/charges -d '{"order_ref":"cart-1","method":"bca_va"}'
//	curl localhost:8080/payments/payments/INV-1001
//	curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" localhost:8080/payments/payments/INV-1001/sync
//
// Environment: MIDTRANS_SERVER_KEY and MIDTRANS_CLIENT_KEY (sandbox keys;
// without them the in-process simulator stands in for Midtrans),
// ADMIN_TOKEN (operations are refused without it), ADDR (default
// 127.0.0.1:8080), DATABASE_PATH (default: a temporary file).
package main

// snippet:start imports
import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	fiberadapter "github.com/nusapay/payments/adapters/fiber"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/store"
)

// snippet:end imports

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	if err := run(ctx, addr, os.Getenv, os.Stdout, nil); err != nil {
		log.Fatal(err)
	}
}

// run serves on addr until ctx ends. listening, when set, gets the base URL
// once requests are accepted.
func run(ctx context.Context, addr string, getenv func(string) string, out io.Writer, listening func(baseURL string)) error {
	dbPath := getenv("DATABASE_PATH")
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "payments-fiber")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "payments.db")
	}
	db, err := store.OpenSQLite(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := store.Migrate(ctx, db); err != nil {
		return err
	}
	st, err := store.New(db)
	if err != nil {
		return err
	}

	cfg := midtrans.Config{ServerKey: getenv("MIDTRANS_SERVER_KEY"), ClientKey: getenv("MIDTRANS_CLIENT_KEY")}
	var sim *midtranstest.Server
	if cfg.ServerKey == "" {
		sim = midtranstest.NewServer(midtranstest.Config{})
		defer sim.Close()
		cfg.ServerKey, cfg.ClientKey, cfg.BaseURL = sim.ServerKey(), sim.ClientKey(), sim.URL()
		fmt.Fprintf(out, "MIDTRANS_SERVER_KEY is not set: using the Midtrans SIMULATOR at %s, no real payments\n", sim.URL())
	}
	client, err := midtrans.New(cfg)
	if err != nil {
		return err
	}
	svc, err := payments.New(client, st, payments.WithMethods(methods.Default()...))
	if err != nil {
		return err
	}
	svc.Connect(payments.SignalPaid, func(_ context.Context, e *payments.Event) error {
		fmt.Fprintf(out, "paid: %s, %s: fulfil it (see examples/fulfilment)\n", e.Payment.OrderID, e.Payment.Amount)
		return nil
	})

	// The shop's orders; a real shop reads its order table. The browser
	// names an order, never its price.
	orders := map[string]adapters.Order{
		"cart-1": {OrderID: "INV-1001", Amount: 150000,
			Items: []payments.Item{{ID: "batik-tee", Name: "Batik T-shirt", Price: 150000, Quantity: 1}}},
		"cart-2": {OrderID: "INV-1002", Amount: 89000,
			Items: []payments.Item{{ID: "kopi", Name: "Kopi Toraja 250 g", Price: 89000, Quantity: 1}}},
	}
	api, err := adapters.New(svc,
		adapters.WithOrderSource(adapters.OrderSourceFunc(func(_ context.Context, ref, _ string) (*adapters.Order, error) {
			o, ok := orders[ref]
			if !ok {
				return nil, payments.ErrNotFound
			}
			return &o, nil
		})),
		adapters.WithAuthorizer(bearer(getenv("ADMIN_TOKEN"))),
	)
	if err != nil {
		return err
	}

	// snippet:start mount
	// Bounds on how long a client may take and how much it may send: the
	// routes cap each body, only the server caps time.
	app := fiber.New(fiber.Config{ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute, BodyLimit: 1 << 20,
		// A body over BodyLimit under the routes' prefix: their JSON 413.
		ErrorHandler: fiberadapter.ErrorHandler(nil)})
	// With Fiber's csrf middleware, exempt the webhook (Midtrans sends no token):
	// app.Use(csrf.New(csrf.Config{Next: fiberadapter.SkipWebhook(app, api)}))
	fiberadapter.Mount(app, api)
	// snippet:end mount

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	if sim != nil {
		// What the dashboard's Payment Notification URL would say.
		sim.SetNotificationURL(base + api.Prefix() + "/notifications")
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(ctx) }() // hook delivery and the reconciler
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	fmt.Fprintf(out, "listening on %s%s\n", base, api.Prefix())
	if listening != nil {
		listening(base)
	}

	select {
	case err = <-served: // could not serve
	case <-ctx.Done():
		// Finish the requests in flight, then stop delivering hooks; events
		// not delivered yet stay in the outbox for the next start.
		err = app.ShutdownWithTimeout(10 * time.Second)
		<-served
	}
	cancel()
	<-ran
	return err
}

// bearer allows operations to requests carrying "Authorization: Bearer
// <token>", as the staff "admin-token"; with no token configured it allows
// none.
func bearer(token string) adapters.Authorizer {
	return func(_ context.Context, r *adapters.Request, _, _ string) (string, error) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			return "", adapters.ErrUnauthenticated
		}
		return "admin-token", nil
	}
}
