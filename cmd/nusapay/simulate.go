package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/nusapay/payments/midtranstest"
)

// simulate runs the Midtrans simulator on -addr until the context ends
// (SIGINT or SIGTERM in main): a host application points its client's base
// URL at it and its key at the printed server key.
func (c *cli) simulate(args []string) error {
	var cfg config
	fs := c.newFlags(commandNamed("simulate"), &cfg, false, false)
	addr := fs.String("addr", "127.0.0.1:8090", "the address to listen on")
	notifyURL := fs.String("notify-url", "", "where to POST signed notifications (the dashboard's Payment Notification URL)")
	serverKey := fs.String("server-key", "", `the server key it accepts (default "SB-Mid-server-simulator")`)
	clientKey := fs.String("client-key", "", `the client key it reports (default "SB-Mid-client-simulator")`)
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	sim := midtranstest.NewHandler(midtranstest.Config{ServerKey: *serverKey, ClientKey: *clientKey, NotificationURL: *notifyURL})
	defer sim.Close()
	url := "http://" + ln.Addr().String()
	sim.SetBaseURL(url)
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(c.stdout, "Midtrans simulator at %s\nserver key: %s\nclient key: %s\n", url, sim.ServerKey(), sim.ClientKey())
	if *notifyURL != "" {
		fmt.Fprintf(c.stdout, "notifications to %s\n", *notifyURL)
	}
	fmt.Fprintln(c.stdout, "stop with Ctrl-C")
	select {
	case err := <-served:
		return fmt.Errorf("simulate: %w", err)
	case <-c.ctx.Done():
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("simulate: shutdown: %w", err)
	}
	fmt.Fprintln(c.stdout, "stopped")
	return nil
}
