package routetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/notify"
)

// Start serves api's routes on a real listener until t ends and returns
// the base URL, e.g. "http://127.0.0.1:41234" (no prefix, no trailing
// slash).
type Start func(t testing.TB, api *adapters.API) string

// Bearer tokens the harness's Authorizer knows.
const (
	// AdminToken may run every operation.
	AdminToken = "admin-token"
	// ViewerToken is authenticated but may run none (403); it may read
	// the console.
	ViewerToken = "viewer-token"
)

// Harness is one payments stack (simulator, database, Service) with the
// full API (OrderSource and Authorizer, default prefix) served by the
// adapter under test.
type Harness struct {
	Env    *testenv.Env
	Orders *Orders
	// URL is where the full API is served, prefix included
	// ("http://127.0.0.1:41234/payments").
	URL string

	start  Start
	client *http.Client
	seq    atomic.Int64
	// observe, when set, sees every request the Authorizer gets.
	observe atomic.Pointer[func(*adapters.Request)]
}

// NewHarness serves the full API for env through start.
func NewHarness(t testing.TB, env *testenv.Env, start Start) *Harness {
	t.Helper()
	// Enough idle connections that concurrent cases reuse them: buffer
	// reuse across requests on one connection is what they must survive.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	t.Cleanup(tr.CloseIdleConnections)
	h := &Harness{Env: env, Orders: NewOrders(), start: start,
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	h.URL = h.Serve(t, h.API(t, h.Full()...)) + "/payments"
	return h
}

// API returns an API for the harness's Service with opts (none: neither
// OrderSource nor Authorizer; Full: both).
func (h *Harness) API(t testing.TB, opts ...adapters.Option) *adapters.API {
	t.Helper()
	api, err := adapters.New(h.Env.Service, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// Full returns the options of the full API: the harness's OrderSource
// and Authorizer, and the console.
func (h *Harness) Full() []adapters.Option {
	return []adapters.Option{adapters.WithOrderSource(h.Orders), adapters.WithAuthorizer(h.authorize), adapters.WithConsole()}
}

// Serve serves api through the adapter under test and returns its base URL.
func (h *Harness) Serve(t testing.TB, api *adapters.API) string {
	t.Helper()
	return h.start(t, api)
}

// Observe makes fn see every request the Authorizer gets, until t ends.
func (h *Harness) Observe(t testing.TB, fn func(*adapters.Request)) {
	h.observe.Store(&fn)
	t.Cleanup(func() { h.observe.Store(nil) })
}

func (h *Harness) authorize(_ context.Context, r *adapters.Request, op, _ string) (string, error) {
	if fn := h.observe.Load(); fn != nil {
		(*fn)(r)
	}
	switch r.Header.Get("Authorization") {
	case "Bearer " + AdminToken:
		return AdminStaff, nil
	case "Bearer " + ViewerToken:
		if op == adapters.OpView {
			return ViewerStaff, nil
		}
		return "", errors.New("viewers may not run operations")
	}
	return "", adapters.ErrUnauthenticated
}

// ViewerStaff is the staff identity of ViewerToken, which may read the
// console and do nothing else.
const ViewerStaff = "viewer@shop.example"

// AdminStaff is the staff identity the harness's Authorizer returns for
// AdminToken.
const AdminStaff = "admin@shop.example"

// Order is an order the harness's OrderSource knows, with personal data
// unique to it so a test can look for leaks.
type Order struct {
	Ref     string
	OrderID string
	Amount  payments.Amount
	// Secrets are the order's personal and private values: customer
	// name, email and phone, item name, metadata and custom fields.
	Secrets []string
}

// NewOrder adds an order of amount to the OrderSource, with a fresh
// Midtrans order id.
func (h *Harness) NewOrder(amount payments.Amount) Order {
	n := h.seq.Add(1)
	return h.NewOrderID(fmt.Sprintf("INV-%04d-%d", n, n*7919%10007), amount)
}

// NewOrderOptions adds an order of amount whose OrderSource answer carries
// the host's method options opts.
func (h *Harness) NewOrderOptions(amount payments.Amount, opts any) Order {
	o := h.NewOrder(amount)
	h.Orders.mu.Lock()
	defer h.Orders.mu.Unlock()
	h.Orders.orders[o.Ref].Options = opts
	return o
}

// NewOrderID adds an order with the given Midtrans order id.
func (h *Harness) NewOrderID(orderID string, amount payments.Amount) Order {
	n := h.seq.Add(1)
	o := Order{Ref: fmt.Sprintf("cart-%d", n), OrderID: orderID, Amount: amount}
	first, last := fmt.Sprintf("Siti%dx", n), fmt.Sprintf("Rahayu%dx", n)
	email, phone := fmt.Sprintf("siti.%d@example.com", n), fmt.Sprintf("+62812555%05d", n)
	item, meta := fmt.Sprintf("Batik sarong %d", n), fmt.Sprintf("meta-secret-%d", n)
	cf1, cf2, cf3 := fmt.Sprintf("cf1-secret-%d", n), fmt.Sprintf("cf2-secret-%d", n), fmt.Sprintf("cf3-secret-%d", n)
	o.Secrets = []string{first, last, email, phone, item, meta, cf1, cf2, cf3}
	h.Orders.Put(o.Ref, &adapters.Order{
		OrderID:      orderID,
		Amount:       amount,
		Items:        []payments.Item{{ID: fmt.Sprintf("sku-%d", n), Name: item, Price: amount, Quantity: 1}},
		Customer:     &payments.Customer{FirstName: first, LastName: last, Email: email, Phone: phone},
		Metadata:     json.RawMessage(fmt.Sprintf(`{"note":%q}`, meta)),
		CustomField1: cf1, CustomField2: cf2, CustomField3: cf3,
	})
	return o
}

// Orders is an in-memory OrderSource.
type Orders struct {
	mu     sync.Mutex
	orders map[string]*adapters.Order
	// refused holds the error PaymentOrder returns for a ref.
	refused map[string]error
}

// NewOrders returns an empty OrderSource.
func NewOrders() *Orders {
	return &Orders{orders: map[string]*adapters.Order{}, refused: map[string]error{}}
}

// Put adds or replaces the order for ref.
func (o *Orders) Put(ref string, order *adapters.Order) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.orders[ref] = order
}

// Close makes ref not payable, with a plain payments.ErrNotAllowed.
func (o *Orders) Close(ref string) {
	o.Refuse(ref, fmt.Errorf("order %q is closed: %w", ref, payments.ErrNotAllowed))
}

// Refuse makes PaymentOrder fail for ref with err.
func (o *Orders) Refuse(ref string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refused[ref] = err
}

// PaymentOrder implements adapters.OrderSource.
func (o *Orders) PaymentOrder(_ context.Context, ref, _ string) (*adapters.Order, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	order, ok := o.orders[ref]
	switch {
	case !ok:
		return nil, fmt.Errorf("order %q: %w", ref, payments.ErrNotFound)
	case o.refused[ref] != nil:
		return nil, o.refused[ref]
	}
	cp := *order
	return &cp, nil
}

// Reply is an HTTP answer.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request and reads the whole answer; header is key, value, ...
// (an empty value removes the header). A body is sent as application/json
// unless header says otherwise.
func (h *Harness) Do(t testing.TB, method, url string, body []byte, header ...string) *Reply {
	t.Helper()
	r, err := h.do(testenv.Ctx(t), method, url, body, header...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// DoOversized is Do for a body over a server's own limit. Some servers
// (fasthttp) answer from the Content-Length and close before reading the
// body, so the client's write may be reset before it reads the answer: a
// race in the transport, not in the answer. It tries a few times.
func (h *Harness) DoOversized(t testing.TB, method, url string, body []byte, header ...string) *Reply {
	t.Helper()
	var err error
	for range 8 {
		var r *Reply
		if r, err = h.do(testenv.Ctx(t), method, url, body, header...); err == nil {
			return r
		}
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
			break
		}
	}
	t.Fatal(err)
	return nil
}

// do is Do for goroutines other than the test's.
func (h *Harness) do(ctx context.Context, method, url string, body []byte, header ...string) (*Reply, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// Charge posts a charge for ref to the full API.
func (h *Harness) Charge(t testing.TB, ref, method, options string) *Reply {
	t.Helper()
	body := fmt.Sprintf(`{"order_ref":%q,"method":%q`, ref, method)
	if options != "" {
		body += `,"options":` + options
	}
	return h.Do(t, http.MethodPost, h.URL+"/charges", []byte(body+"}"))
}

// Charged charges ref and fails the test unless the answer is 201.
func (h *Harness) Charged(t testing.TB, ref, method, options string) *adapters.PaymentView {
	t.Helper()
	return WantPayment(t, h.Charge(t, ref, method, options), http.StatusCreated)
}

// Operate runs op on orderID as the admin.
func (h *Harness) Operate(t testing.TB, orderID, op, body string) *Reply {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	return h.Do(t, http.MethodPost, h.URL+"/payments/"+orderID+"/"+op, b, "Authorization", "Bearer "+AdminToken)
}

// View gets the public view of orderID.
func (h *Harness) View(t testing.TB, orderID string) *adapters.PaymentView {
	t.Helper()
	return WantPayment(t, h.Do(t, http.MethodGet, h.URL+"/payments/"+orderID, nil), http.StatusOK)
}

// Payment reads orderID from the store.
func (h *Harness) Payment(t testing.TB, orderID string) *payments.Payment {
	t.Helper()
	p, err := h.Env.Service.Payment(testenv.Ctx(t), orderID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Settle has the simulated customer pay orderID (no notification is sent
// unless a notification URL is set) and syncs it, so it is settled here too.
func (h *Harness) Settle(t testing.TB, orderID string) {
	t.Helper()
	if err := h.Env.Sim.Pay(orderID); err != nil {
		t.Fatal(err)
	}
	p := WantPayment(t, h.Operate(t, orderID, "sync", ""), http.StatusOK)
	if p.Outcome != payments.OutcomePaid {
		t.Fatalf("after pay and sync: %s (%s), want paid", p.Status, p.Outcome)
	}
}

// SettlementBody is a correctly signed settlement notification for
// orderID, as the simulator's transaction says it should read.
func (h *Harness) SettlementBody(t testing.TB, orderID, serverKey string) []byte {
	t.Helper()
	tx, ok := h.Env.Sim.Transaction(orderID)
	if !ok {
		t.Fatalf("simulator has no transaction %s", orderID)
	}
	b, err := notify.Signed(serverKey, map[string]any{
		"order_id": orderID, "transaction_id": tx.TransactionID, "status_code": "200",
		"gross_amount": fmt.Sprintf("%d.00", tx.GrossAmount), "transaction_status": "settlement",
		"payment_type": tx.PaymentType, "fraud_status": "accept", "currency": "IDR",
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// WantJSON checks the headers every answer of the routes carries and
// that the body is one JSON object.
func WantJSON(t testing.TB, r *Reply) map[string]json.RawMessage {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json (body %s)", ct, r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// WantPayment checks status and returns the answer's payment view.
func WantPayment(t testing.TB, r *Reply, status int) *adapters.PaymentView {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	WantJSON(t, r)
	var out struct {
		Payment *adapters.PaymentView `json:"payment"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || out.Payment == nil {
		t.Fatalf("no payment in %s (%v)", r.Body, err)
	}
	return out.Payment
}

// WantError checks an error answer: its status and the JSON error shape
// {"error":{"code","message","fields"}} (plus "payment" when one is
// concerned) with the stable code.
func WantError(t testing.TB, r *Reply, status int, code string) *adapters.ErrorBody {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	top := WantJSON(t, r)
	for k := range top {
		if k != "error" && k != "payment" {
			t.Errorf("unexpected top-level key %q in error %s", k, r.Body)
		}
	}
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(top["error"], &inner); err != nil {
		t.Fatalf("no error object in %s", r.Body)
	}
	for k := range inner {
		if k != "code" && k != "message" && k != "fields" {
			t.Errorf("unexpected key %q in error object %s", k, r.Body)
		}
	}
	var b adapters.ErrorBody
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("error body %s: %v", r.Body, err)
	}
	if b.Error.Code != code {
		t.Errorf("code %q, want %q (%s)", b.Error.Code, code, r.Body)
	}
	if b.Error.Message == "" {
		t.Errorf("empty message in %s", r.Body)
	}
	return &b
}

// WantField checks that a validation error names field.
func WantField(t testing.TB, b *adapters.ErrorBody, field string) {
	t.Helper()
	for _, f := range b.Error.Fields {
		if f.Field == field && f.Message != "" {
			return
		}
	}
	t.Errorf("fields %+v do not name %q", b.Error.Fields, field)
}

// WantAbsent checks that a route is not mounted: under the prefix, that
// is the routes' own 404 not_found.
func WantAbsent(t testing.TB, r *Reply) {
	t.Helper()
	WantError(t, r, http.StatusNotFound, "not_found")
}

// WantNotOurs checks an answer from the host's router for a path outside
// the prefix: its own 404 or 405, never an answer from the routes.
func WantNotOurs(t testing.TB, r *Reply) {
	t.Helper()
	if r.Status != http.StatusNotFound && r.Status != http.StatusMethodNotAllowed {
		t.Fatalf("status %d, want 404 or 405 (not the routes' path): %s", r.Status, r.Body)
	}
	if bytes.Contains(r.Body, []byte(`"error"`)) {
		t.Fatalf("answered by the routes, not the router: %s", r.Body)
	}
}
