package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is the program's output, written by its goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRoundTrip runs the program on a random port against the simulator
// and pays an order as a customer would: charge through the app, approve in
// the (simulated) GoPay app, and the simulator's notification reaching the
// app's webhook marks it paid and fires the hook.
func TestRoundTrip(t *testing.T) {
	env := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "payments.db"), "ADMIN_TOKEN": "s3cret"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	up := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, "127.0.0.1:0", func(k string) string { return env[k] }, &out, func(u string) { up <- u })
	}()
	var base string
	select {
	case base = <-up:
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, out.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start")
	}
	base += "/payments"
	if !strings.Contains(out.String(), "SIMULATOR") {
		t.Errorf("no line says the simulator is used:\n%s", out.String())
	}

	// The browser names its order and a method; the price is the shop's.
	status, body := call(t, http.MethodPost, base+"/charges", `{"order_ref":"cart-1","method":"gopay"}`, "")
	if status != http.StatusCreated {
		t.Fatalf("charge: %d %s", status, body)
	}
	var charged struct {
		Payment struct {
			OrderID      string `json:"order_id"`
			Amount       int64  `json:"gross_amount"`
			Outcome      string `json:"outcome"`
			Instructions struct {
				DeeplinkURL string `json:"deeplink_url"`
			} `json:"instructions"`
		} `json:"payment"`
	}
	if err := json.Unmarshal(body, &charged); err != nil {
		t.Fatal(err)
	}
	p := charged.Payment
	if p.OrderID != "INV-1001" || p.Amount != 150000 || p.Outcome != "pending" || p.Instructions.DeeplinkURL == "" {
		t.Fatalf("charged %+v", p)
	}

	// The customer approves in the GoPay app: the simulator's deeplink page.
	resp, err := http.PostForm(p.Instructions.DeeplinkURL, url.Values{"action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	// The simulator notifies the webhook; the checkout page polls.
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, body = call(t, http.MethodGet, base+"/payments/INV-1001", "", "")
		if status == http.StatusOK && bytes.Contains(body, []byte(`"outcome":"paid"`)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not paid: %d %s\n%s", status, body, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for !strings.Contains(out.String(), "paid: INV-1001") {
		if time.Now().After(deadline) {
			t.Fatalf("the paid hook did not run:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Operations need the admin token.
	if status, body = call(t, http.MethodPost, base+"/payments/INV-1001/sync", "", ""); status != http.StatusUnauthorized {
		t.Fatalf("sync without a token: %d %s", status, body)
	}
	if status, body = call(t, http.MethodPost, base+"/payments/INV-1001/sync", "", "s3cret"); status != http.StatusOK {
		t.Fatalf("sync: %d %s", status, body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no graceful shutdown")
	}
}

func call(t *testing.T, method, url, body, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json") // the routes take nothing else
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}
