package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"
)

// run serves the shop on addr until ctx ends, then shuts down gracefully.
// It listens before building the shop, so the shop knows its own URL (the
// simulator's notification URL) even for an addr with port 0.
func run(ctx context.Context, addr string, cfg Config, stdout, stderr io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w: another program (another shop?) has %s; choose another address with -addr or ADDR, e.g. -addr 127.0.0.1:8081", err, addr)
	}
	if err != nil {
		return err
	}
	defer ln.Close()
	cfg.BaseURL = "http://" + ln.Addr().String()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	shop, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	defer shop.Close()

	if sim := shop.Simulator(); sim != nil {
		fmt.Fprintf(stdout, "SIMULATOR MODE: no MIDTRANS_SERVER_KEY set; Midtrans is simulated at %s — nothing here moves real money\n", sim.URL())
	} else {
		fmt.Fprintf(stdout, "MIDTRANS %s: set the Payment Notification URL in the Midtrans dashboard to https://<your public host>%s\n",
			shop.cfg.Environment, webhookPath)
		if shop.cfg.SyncEvery > 0 {
			fmt.Fprintf(stdout, "  (Midtrans cannot reach %s; until it can, the order page asks Midtrans for pending payments every %s)\n",
				cfg.BaseURL, shop.cfg.SyncEvery)
		}
	}
	if cfg.Telemetry != nil {
		fmt.Fprintf(stdout, "TELEMETRY: spans as they end and metrics every %s print here as JSON\n", metricsEvery)
	}
	fmt.Fprintf(stdout, "orders and payments: %s\n", shop.DBPath())
	fmt.Fprintf(stdout, "shop: %s/\n", cfg.BaseURL)
	fmt.Fprintf(stdout, "ops console: %s (user %s, password %s; set STAFF_PASSWORD to choose it)\n",
		shop.ConsoleURL(), StaffUser, shop.StaffPassword())

	// Bounds on how long a client may take: the routes cap body sizes, only
	// the server caps time.
	srv := &http.Server{Handler: shop.Handler(), ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
