package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/qr"
	"github.com/nusapay/payments/midtranstest"
)

// syncBuffer collects logs from the shop's goroutines; a failing test
// prints them.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTestShop runs a shop in-process on 127.0.0.1 with a SQLite file in a
// temporary directory; without cfg.ServerKey it runs on the simulator.
func newTestShop(t testing.TB, cfg Config) (*Shop, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	if cfg.DBPath == "" {
		cfg.DBPath = filepath.Join(t.TempDir(), "shop.db")
	}
	logs := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	shop, err := New(t.Context(), cfg)
	if err != nil {
		srv.Listener.Close()
		t.Fatal(err)
	}
	srv.Config.Handler = shop.Handler()
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		if err := shop.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("shop logs:\n%s", logs.String())
		}
	})
	return shop, srv.URL
}

// client does not follow redirects, to see where the shop sends the browser.
func client(t testing.TB) *http.Client {
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout: 10 * time.Second}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("status %d, body %q: %v", r.status, r.body, err)
	}
	return m
}

func do(t testing.TB, c *http.Client, method, u, contentType string, body string, header ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// postJSON posts to one of the order page's routes as its script does.
func postJSON(t testing.TB, c *http.Client, u string) response {
	t.Helper()
	return do(t, c, "POST", u, "", "", "Accept", "application/json")
}

func newOrderForm(product, method string) url.Values {
	return url.Values{"product": {product}, "method": {method}, "name": {"Budi Utomo"},
		"email": {"budi@example.com"}, "phone": {"081223323423"}}
}

// placeOrder creates an order through the product page's form and returns
// its reference.
func placeOrder(t testing.TB, c *http.Client, base string, form url.Values) string {
	t.Helper()
	r := do(t, c, "POST", base+"/orders", "application/x-www-form-urlencoded", form.Encode())
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/orders/NP-") {
		t.Fatalf("create order: %d %q %s", r.status, loc, r.body)
	}
	return strings.TrimPrefix(loc, "/orders/")
}

func charge(t testing.TB, c *http.Client, base, body string) response {
	t.Helper()
	return do(t, c, "POST", base+"/payments/charges", "application/json", body)
}

// waitState polls the order's state until cond holds.
func waitState(t testing.TB, c *http.Client, base, ref string, cond func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := do(t, c, "GET", base+"/orders/"+ref+"/state", "", "")
		st := r.json(t)["order"].(map[string]any)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s never reached the expected state; last %v", ref, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func fulfilled(st map[string]any) bool { return st["fulfilled"] == true }

func TestCreateOrder(t *testing.T) {
	shop, base := newTestShop(t, Config{})
	c := client(t)

	t.Run("price from the catalogue", func(t *testing.T) {
		form := newOrderForm("batik-scarf", "qris")
		form.Set("price", "1") // ignored: the shop has no such field
		form.Set("amount", "1")
		ref := placeOrder(t, c, base, form)
		ord, err := shop.orders.get(t.Context(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if ord.Amount != 245000 || ord.ProductID != "batik-scarf" || ord.Method != "qris" || ord.Status != orderOpen {
			t.Errorf("order %+v", ord)
		}
		page := do(t, c, "GET", base+"/orders/"+ref, "", "")
		for _, want := range []string{ref, "Rp 245.000", "Syal batik tulis", `id="method-qris" checked`, `data-order-ref="` + ref + `"`, `<html lang="id">`} {
			if !strings.Contains(string(page.body), want) {
				t.Errorf("checkout page lacks %q", want)
			}
		}
		if page.status != 200 || !strings.Contains(page.header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("checkout page %d, CSP %q", page.status, page.header.Get("Content-Security-Policy"))
		}
	})

	t.Run("invalid forms", func(t *testing.T) {
		for name, tc := range map[string]struct {
			field, value, want string
		}{
			"unknown product": {"product", "gold-bar", "Silakan pilih barang."},
			"unknown method":  {"method", "bitcoin", "Silakan pilih metode pembayaran."},
			"bad email":       {"email", "budi@", "Silakan isi alamat email"},
			"bad phone":       {"phone", "call me", "Silakan isi nomor telepon"},
			"no name":         {"name", " ", "Silakan isi nama Anda."},
		} {
			t.Run(name, func(t *testing.T) {
				form := newOrderForm("kopi-gayo", "bca_va")
				form.Set(tc.field, tc.value)
				r := do(t, c, "POST", base+"/orders", "application/x-www-form-urlencoded", form.Encode())
				if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), tc.want) {
					t.Errorf("%d, body lacks %q", r.status, tc.want)
				}
			})
		}
	})

	t.Run("escaped", func(t *testing.T) {
		form := newOrderForm("kopi-gayo", "bca_va")
		form.Set("name", `<script>alert(1)</script> Budi`)
		ref := placeOrder(t, c, base, form)
		page := string(do(t, c, "GET", base+"/orders/"+ref, "", "").body)
		if strings.Contains(page, "<script>alert(1)") || !strings.Contains(page, "&lt;script&gt;alert(1)") {
			t.Error("customer name not escaped")
		}
	})

	t.Run("cross-origin posts refused", func(t *testing.T) {
		r := do(t, c, "POST", base+"/orders", "application/x-www-form-urlencoded", newOrderForm("kopi-gayo", "bca_va").Encode(),
			"Sec-Fetch-Site", "cross-site")
		if r.status != http.StatusForbidden {
			t.Errorf("cross-site form post: %d", r.status)
		}
	})

	t.Run("unknown order", func(t *testing.T) {
		if r := do(t, c, "GET", base+"/orders/NP-NOPE", "", ""); r.status != http.StatusNotFound {
			t.Errorf("page %d", r.status)
		}
		if r := do(t, c, "GET", base+"/orders/NP-NOPE/state", "", ""); r.status != http.StatusNotFound {
			t.Errorf("state %d", r.status)
		}
	})
}

// TestOrderSource: the charges route takes the amount, items and customer
// from the shop's order; the browser cannot send them.
func TestOrderSource(t *testing.T) {
	shop, base := newTestShop(t, Config{})
	c := client(t)
	sim := shop.Simulator()
	ref := placeOrder(t, c, base, newOrderForm("rattan-tote", "bca_va"))

	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"bca_va","amount":1}`); r.status != http.StatusBadRequest {
		t.Errorf("a body with an amount: %d %s", r.status, r.body)
	}
	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"bca_va","options":{"gross_amount":1}}`); r.status != http.StatusBadRequest || !bytes.Contains(r.body, []byte("unknown_field")) {
		t.Errorf("an amount in the options: %d %s", r.status, r.body)
	}
	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"credit_card","options":{"token_id":"t","authentication":false}}`); r.status != http.StatusBadRequest || !bytes.Contains(r.body, []byte("options.authentication")) {
		t.Errorf("3-D Secure turned off by the browser: %d %s", r.status, r.body)
	}
	if r := charge(t, c, base, `{"order_ref":"NP-NOPE","method":"bca_va"}`); r.status != http.StatusNotFound {
		t.Errorf("unknown order: %d %s", r.status, r.body)
	}

	r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"bca_va"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("charge: %d %s", r.status, r.body)
	}
	p := r.json(t)["payment"].(map[string]any)
	if p["order_id"] != ref+"-1" || p["gross_amount"] != 150000.0 || p["transaction_status"] != "pending" {
		t.Errorf("payment %v", p)
	}
	if ins := p["instructions"].(map[string]any); !regexp.MustCompile(`^\d{10,20}$`).MatchString(fmt.Sprint(ins["va_number"])) || ins["bank"] != "bca" {
		t.Errorf("instructions %v", ins)
	}
	// What reached Midtrans.
	var sent struct {
		TransactionDetails struct {
			OrderID     string `json:"order_id"`
			GrossAmount int64  `json:"gross_amount"`
		} `json:"transaction_details"`
		ItemDetails []struct {
			ID    string `json:"id"`
			Price int64  `json:"price"`
		} `json:"item_details"`
		CustomerDetails struct {
			FirstName string `json:"first_name"`
			Email     string `json:"email"`
		} `json:"customer_details"`
	}
	var body []byte
	for _, call := range sim.Calls() {
		if call.Method == "POST" && call.Path == "/v2/charge" {
			body = call.Body
		}
	}
	if err := json.Unmarshal(body, &sent); err != nil {
		t.Fatal(err)
	}
	if sent.TransactionDetails.OrderID != ref+"-1" || sent.TransactionDetails.GrossAmount != 150000 ||
		len(sent.ItemDetails) != 1 || sent.ItemDetails[0].ID != "rattan-tote" || sent.ItemDetails[0].Price != 150000 ||
		sent.CustomerDetails.FirstName != "Budi" || sent.CustomerDetails.Email != "budi@example.com" {
		t.Errorf("charge sent to Midtrans: %+v", sent)
	}

	// While the attempt is alive the order cannot be charged again.
	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"qris"}`); r.status != http.StatusConflict {
		t.Errorf("second charge while pending: %d %s", r.status, r.body)
	}
	// Switching ends the attempt; the next one gets a fresh Midtrans order id.
	sw := postJSON(t, c, base+"/orders/"+ref+"/switch")
	if st := sw.json(t)["order"].(map[string]any); sw.status != 200 || st["can_pay"] != true {
		t.Fatalf("switch: %d %s", sw.status, sw.body)
	}
	if tr, _ := sim.Transaction(ref + "-1"); tr.Status != "expire" {
		t.Errorf("first attempt at Midtrans: %s", tr.Status)
	}
	r = charge(t, c, base, `{"order_ref":"`+ref+`","method":"qris"}`)
	if r.status != http.StatusCreated || r.json(t)["payment"].(map[string]any)["order_id"] != ref+"-2" {
		t.Fatalf("second attempt: %d %s", r.status, r.body)
	}
	st := waitState(t, c, base, ref, func(st map[string]any) bool { return st["payment_order_id"] == ref+"-2" })
	if st["can_pay"] != false || st["attempts"] != 2.0 {
		t.Errorf("state %v", st)
	}

	// Paid and fulfilled: no further charge.
	if r := postJSON(t, c, base+"/orders/"+ref+"/simulate-pay"); r.status != 200 {
		t.Fatalf("simulate pay: %d %s", r.status, r.body)
	}
	waitState(t, c, base, ref, fulfilled)
	if _, err := shop.orders.PaymentOrder(t.Context(), ref, "bca_va"); !errors.Is(err, payments.ErrNotAllowed) {
		t.Errorf("order source after fulfilment: %v", err)
	}
	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"bca_va"}`); r.status != http.StatusConflict {
		t.Errorf("charge after fulfilment: %d %s", r.status, r.body)
	}
}

// TestOrderSourceConcurrent: of many simultaneous charges for one order,
// one payment is made. Requests that meet the attempt before the module
// recorded it resume it with the same idempotency key, so Midtrans makes
// one transaction; the others are refused while it is pending.
func TestOrderSourceConcurrent(t *testing.T) {
	shop, base := newTestShop(t, Config{})
	c := client(t)
	ref := placeOrder(t, c, base, newOrderForm("kopi-gayo", "bca_va"))
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", base+"/payments/charges", strings.NewReader(`{"order_ref":"`+ref+`","method":"bca_va"}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	created := 0
	for _, code := range codes {
		switch code {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("status %d", code)
		}
	}
	keys := map[string]bool{}
	for _, call := range shop.Simulator().Calls() {
		if call.Path == "/v2/charge" {
			keys[call.IdempotencyKey] = true
		}
	}
	ord, _ := shop.orders.get(t.Context(), ref)
	_, second := shop.Simulator().Transaction(ref + "-2")
	if created < 1 || len(keys) != 1 || ord.Attempts != 1 || second {
		t.Errorf("codes %v, %d idempotency keys at Midtrans, %d attempts", codes, len(keys), ord.Attempts)
	}
}

// TestFulfilmentExactlyOnce delivers the paid event again, twice at once:
// the order stays fulfilled once, with one fulfilment-log row.
func TestFulfilmentExactlyOnce(t *testing.T) {
	shop, base := newTestShop(t, Config{})
	c := client(t)
	events := make(chan *payments.Event, 4)
	shop.Service().Connect(payments.SignalPaid, func(_ context.Context, e *payments.Event) error {
		events <- e
		return nil
	})
	ref := placeOrder(t, c, base, newOrderForm("sambal-matah", "indomaret"))
	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"indomaret"}`); r.status != http.StatusCreated {
		t.Fatalf("charge: %d %s", r.status, r.body)
	}
	if err := shop.Simulator().Pay(ref + "-1"); err != nil {
		t.Fatal(err)
	}
	first := waitState(t, c, base, ref, fulfilled)
	var ev *payments.Event
	select {
	case ev = <-events:
	case <-time.After(10 * time.Second):
		t.Fatal("no paid event")
	}

	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := shop.orders.fulfil(t.Context(), ev); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := shop.orders.fulfil(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	n, err := shop.orders.fulfilments(t.Context(), ref)
	if err != nil || n != 1 {
		t.Errorf("%d fulfilment rows (%v), want 1", n, err)
	}
	ord, _ := shop.orders.get(t.Context(), ref)
	if ord.Status != orderFulfilled || ord.PaidPayment != ref+"-1" || ord.FulfilledAt.Format(time.RFC3339Nano) != first["fulfilled_at"] {
		t.Errorf("order after redelivery: %+v (first fulfilled at %v)", ord, first["fulfilled_at"])
	}

	// An event for a payment that is not the shop's changes nothing.
	other := *ev
	other.ID = "not-ours"
	other.Payment = &payments.Payment{OrderID: "someone-else-1"}
	if err := shop.orders.fulfil(t.Context(), &other); err != nil {
		t.Error(err)
	}
	if n, _ := shop.orders.fulfilments(t.Context(), ref); n != 1 {
		t.Errorf("%d fulfilment rows after a foreign event", n)
	}
}

// TestReversal: a settled payment reversed by the provider undoes the
// fulfilment (SignalReversed).
func TestReversal(t *testing.T) {
	shop, base := newTestShop(t, Config{})
	c := client(t)
	ref := placeOrder(t, c, base, newOrderForm("kopi-gayo", "gopay"))
	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"gopay"}`); r.status != http.StatusCreated {
		t.Fatalf("charge: %d %s", r.status, r.body)
	}
	if r := postJSON(t, c, base+"/orders/"+ref+"/simulate-pay"); r.status != 200 {
		t.Fatalf("simulate pay: %d %s", r.status, r.body)
	}
	waitState(t, c, base, ref, fulfilled)
	if err := shop.Simulator().Reverse(ref + "-1"); err != nil {
		t.Fatal(err)
	}
	st := waitState(t, c, base, ref, func(st map[string]any) bool { return st["status"] == orderReversed })
	if st["fulfilled"] != false || st["can_pay"] != false {
		t.Errorf("state %v", st)
	}
	if n, _ := shop.orders.fulfilments(t.Context(), ref); n != 2 {
		t.Errorf("%d fulfilment-log rows, want paid + reversed", n)
	}
}

func TestQRCode(t *testing.T) {
	shop, base := newTestShop(t, Config{})
	c := client(t)
	ref := placeOrder(t, c, base, newOrderForm("batik-scarf", "qris"))
	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"qris"}`); r.status != http.StatusCreated {
		t.Fatalf("charge: %d %s", r.status, r.body)
	}
	r := do(t, c, "GET", base+"/qr/"+ref+"-1", "", "")
	if r.status != 200 || r.header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("qr: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var svg struct {
		ViewBox string `xml:"viewBox,attr"`
	}
	if err := xml.Unmarshal(r.body, &svg); err != nil {
		t.Fatal(err)
	}
	p, err := shop.Service().Payment(t.Context(), ref+"-1")
	if err != nil {
		t.Fatal(err)
	}
	code, err := qr.Encode(p.QRString)
	if err != nil {
		t.Fatal(err)
	}
	if side := code.Size() + 2*qr.QuietZone; svg.ViewBox != fmt.Sprintf("0 0 %d %d", side, side) || !strings.HasPrefix(p.QRString, "000201") {
		t.Errorf("viewBox %q for a %d-module code of %q", svg.ViewBox, code.Size(), p.QRString)
	}
	if r := do(t, c, "GET", base+"/qr/"+ref+"-9", "", ""); r.status != http.StatusNotFound {
		t.Errorf("unknown payment: %d", r.status)
	}
}

// TestSyncWithRealKeys runs the shop as with real keys against a simulator
// that cannot reach its webhook (no notification URL), as Midtrans cannot
// reach localhost: the order state syncs the pending payment, rate-limited.
func TestSyncWithRealKeys(t *testing.T) {
	sim := midtranstest.NewServer(midtranstest.Config{})
	t.Cleanup(sim.Close)
	const every = 400 * time.Millisecond
	shop, base := newTestShop(t, Config{ServerKey: sim.ServerKey(), ClientKey: sim.ClientKey(), MidtransURL: sim.URL(), SyncEvery: every})
	if shop.Simulator() != nil {
		t.Fatal("real-key shop started its own simulator")
	}
	c := client(t)
	statusCalls := func() int {
		n := 0
		for _, call := range sim.Calls() {
			if strings.HasSuffix(call.Path, "/status") {
				n++
			}
		}
		return n
	}
	ref := placeOrder(t, c, base, newOrderForm("kopi-gayo", "bni_va"))
	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"bni_va"}`); r.status != http.StatusCreated {
		t.Fatalf("charge: %d %s", r.status, r.body)
	}
	for range 3 {
		do(t, c, "GET", base+"/orders/"+ref+"/state", "", "")
	}
	if n := statusCalls(); n != 1 {
		t.Errorf("%d status calls for 3 polls within %s, want 1", n, every)
	}
	if r := postJSON(t, c, base+"/orders/"+ref+"/simulate-pay"); r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
		t.Errorf("simulate-pay with real keys: %d", r.status)
	}
	if err := sim.Pay(ref + "-1"); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, base, ref, fulfilled)
	page := string(do(t, c, "GET", base+"/orders/"+ref, "", "").body)
	if strings.Contains(page, "simulate-pay") || !strings.Contains(page, "https://api.midtrans.com/v2/assets/js/midtrans-new-3ds.min.js") ||
		!strings.Contains(page, `data-client-key="`+sim.ClientKey()+`"`) || strings.Contains(page, sim.ServerKey()) {
		t.Error("real-key checkout page: wrong 3DS script, simulator controls, or a secret in the page")
	}
}

func TestConfigValidate(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no base URL":       {},
		"relative base URL": {BaseURL: "/shop"},
		"server key only":   {BaseURL: "http://127.0.0.1:1", ServerKey: "SB-Mid-server-x"},
		"bad environment":   {BaseURL: "http://127.0.0.1:1", Environment: "staging"},
	} {
		cfg.setDefaults()
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRupiah(t *testing.T) {
	for in, want := range map[int64]string{0: "Rp 0", 999: "Rp 999", 1000: "Rp 1.000", 245000: "Rp 245.000",
		10000000: "Rp 10.000.000", -5000: "-Rp 5.000"} {
		if got := rupiah(in); got != want {
			t.Errorf("rupiah(%d) = %q, want %q", in, got, want)
		}
	}
}

// TestRun runs the program as main does, on a free port, and stops it.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	out := &syncBuffer{}
	dbPath := filepath.Join(t.TempDir(), "shop.db")
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, "127.0.0.1:0", Config{DBPath: dbPath}, out, io.Discard)
	}()
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; {
		if m := regexp.MustCompile(`shop: (http://\S+)/`).FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no address printed:\n%s", out.String())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if !strings.Contains(out.String(), "orders and payments: "+dbPath+"\n") {
		t.Errorf("the database's absolute path is not printed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "SIMULATOR MODE: no MIDTRANS_SERVER_KEY set; Midtrans is simulated at http://127.0.0.1:") {
		t.Errorf("no simulator banner:\n%s", out.String())
	}
	c := client(t)
	if r := do(t, c, "GET", base+"/", "", ""); r.status != 200 {
		t.Errorf("GET /: %d", r.status)
	}
	for _, p := range []string{"/static/shop.js", "/static/shop.css", "/favicon.ico"} {
		if r := do(t, c, "GET", base+p, "", ""); r.status != 200 || len(r.body) == 0 {
			t.Errorf("GET %s: %d", p, r.status)
		}
	}
	// The ops console: its URL and a random password are printed; a
	// browser is asked for them; the staff gets in.
	m := regexp.MustCompile(`ops console: (http://\S+) \(user staff, password (\S+);`).FindStringSubmatch(out.String())
	if m == nil || m[1] != base+"/payments/console" || len(m[2]) < 12 {
		t.Fatalf("no console URL and password printed:\n%s", out.String())
	}
	if r := do(t, c, "GET", m[1], "", ""); r.status != 401 || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("console without a password: %d, WWW-Authenticate %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	if r := do(t, c, "GET", m[1], "", "", "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("staff:wrong"))); r.status != 401 {
		t.Errorf("console with a wrong password: %d", r.status)
	}
	r := do(t, c, "GET", m[1], "", "", "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("staff:"+m[2])))
	if r.status != 200 || !strings.Contains(string(r.body), "Signed in as <strong>staff</strong>") {
		t.Errorf("console with the password: %d\n%s", r.status, r.body)
	}
	if r := do(t, c, "GET", base+"/", "", ""); !strings.Contains(string(r.body), `href="/payments/console"`) {
		t.Error("the shop does not link to its console")
	}
	c.CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
