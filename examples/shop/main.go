// Command shop is a small demo shop that takes payments with
// github.com/nusapay/payments:
//
//	go run ./examples/shop            # http://127.0.0.1:8080
//	go run ./examples/shop -addr 127.0.0.1:8099 -db /tmp/shop.db
//	go run ./examples/shop -telemetry  # traces and metrics to stdout
//
// Without MIDTRANS_SERVER_KEY it runs on the in-process Midtrans simulator
// (midtranstest), so every method can be paid end to end offline. With
// MIDTRANS_SERVER_KEY and MIDTRANS_CLIENT_KEY it uses the real Midtrans
// sandbox (MIDTRANS_ENV=production for production).
//
// With -telemetry (or TELEMETRY=stdout) it installs the OpenTelemetry SDK
// with stdout exporters and prints, as indented JSON among its own output,
// a span for every Service call, notification, hook delivery and database
// query made for them (never the query's text or arguments), and the
// metrics every 30 seconds and once more on exit; the workers' polling
// queries are left out.
//
// Environment: ADDR (listen address, default 127.0.0.1:8080; -addr wins),
// MIDTRANS_SERVER_KEY, MIDTRANS_CLIENT_KEY, MIDTRANS_ENV, TELEMETRY, STAFF_PASSWORD
// (the ops console's, for the user "staff"; random and printed on start
// when unset).
//
// The ops console (adapters.WithConsole) is at /payments/console, behind
// HTTP Basic authentication; the shop's footer links to it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/nusapay/payments/midtrans"
)

func main() {
	addr := flag.String("addr", envOr("ADDR", "127.0.0.1:8080"), "listen address (environment: ADDR)")
	db := flag.String("db", "shop.db", "SQLite database file (the shop prints its absolute path on start)")
	telemetry := flag.Bool("telemetry", os.Getenv("TELEMETRY") == "stdout",
		"print OpenTelemetry traces and metrics to stdout (environment: TELEMETRY=stdout)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := Config{
		DBPath:      *db,
		ServerKey:   os.Getenv("MIDTRANS_SERVER_KEY"),
		ClientKey:   os.Getenv("MIDTRANS_CLIENT_KEY"),
		Environment: midtrans.Environment(envOr("MIDTRANS_ENV", string(midtrans.Sandbox))),
		// The ops console's password (user "staff"); random when unset.
		StaffPassword: os.Getenv("STAFF_PASSWORD"),
	}
	if *telemetry {
		cfg.Telemetry = os.Stdout
	}
	err := run(ctx, *addr, cfg, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
