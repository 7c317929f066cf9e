package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/qr"
	"github.com/nusapay/payments/midtranstest"
)

// methodInfo describes a payment method on the page.
type methodInfo struct {
	Name  string // the plugin name the module charges
	Label string
	Group string
	Hint  string
}

// methodChoices lists the registered methods with their labels, in the
// order a checkout usually shows them; methods the shop has no label for
// come last under their plugin name.
func methodChoices(registered []string) []methodInfo {
	known := []methodInfo{
		{"credit_card", "Credit or debit card", "Card", "Visa, Mastercard, JCB, Amex, with 3-D Secure"},
		{"bca_va", "BCA Virtual Account", "Bank transfer", "Pay from BCA mobile, KlikBCA or an ATM"},
		{"bni_va", "BNI Virtual Account", "Bank transfer", "Payable from any bank"},
		{"bri_va", "BRI Virtual Account", "Bank transfer", "Payable from any bank"},
		{"permata_va", "Permata Virtual Account", "Bank transfer", "Payable from any bank"},
		{"cimb_va", "CIMB Niaga Virtual Account", "Bank transfer", "Payable from any bank"},
		{"echannel", "Mandiri Bill Payment", "Bank transfer", "Livin' by Mandiri or a Mandiri ATM"},
		{"qris", "QRIS", "E-wallet and QR", "Scan with any QRIS app"},
		{"gopay", "GoPay", "E-wallet and QR", "Scan the QR or open the GoPay app"},
		{"shopeepay", "ShopeePay", "E-wallet and QR", "Opens the Shopee app"},
		{"dana", "DANA", "E-wallet and QR", "Pay on the DANA page"},
		{"indomaret", "Indomaret", "Over the counter", "Pay the code at any Indomaret"},
		{"alfamart", "Alfamart", "Over the counter", "Pay the code at Alfamart, Alfamidi or Dan+Dan"},
		{"akulaku", "Akulaku PayLater", "Pay later", "Instalments with Akulaku"},
	}
	have := map[string]bool{}
	for _, n := range registered {
		have[n] = true
	}
	var out []methodInfo
	for _, m := range known {
		if have[m.Name] {
			out = append(out, m)
			delete(have, m.Name)
		}
	}
	for _, n := range registered {
		if have[n] {
			out = append(out, methodInfo{Name: n, Label: n, Group: "Other"})
		}
	}
	return out
}

// methodGroup is a heading of the method list and its methods.
type methodGroup struct {
	Name    string
	Methods []methodInfo
}

func groupMethods(ms []methodInfo) []methodGroup {
	var out []methodGroup
	for _, m := range ms {
		if len(out) == 0 || out[len(out)-1].Name != m.Group {
			out = append(out, methodGroup{Name: m.Group})
		}
		out[len(out)-1].Methods = append(out[len(out)-1].Methods, m)
	}
	return out
}

func (s *Shop) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("POST /orders", s.createOrder)
	mux.HandleFunc("GET /orders/{ref}", s.orderPage)
	mux.HandleFunc("GET /orders/{ref}/state", s.orderState)
	mux.HandleFunc("POST /orders/{ref}/switch", s.switchMethod)
	if s.sim != nil {
		mux.HandleFunc("POST /orders/{ref}/simulate-pay", s.simulatePay)
	}
	mux.HandleFunc("GET /qr/{order_id}", s.qrCode)
	files := http.FileServerFS(static())
	mux.Handle("GET /static/", http.StripPrefix("/static/", noCache(files)))
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		http.ServeFileFS(w, r, static(), "favicon.svg")
	})
}

// noCache makes the browser revalidate the static files, so an edited
// demo shows at once.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// pageData is what every page template gets.
type pageData struct {
	Title     string
	Simulated bool
	Env       string
	Products  []Product
	Methods   []methodGroup
	// index
	Form   orderForm
	Errors map[string]string
	// order page
	Order   *Order
	ThreeDS threeDS
	Prefix  string
}

type orderForm struct {
	Product, Method, Name, Email, Phone string
}

func (s *Shop) page(w http.ResponseWriter, status int, name string, d pageData) {
	d.Simulated = s.sim != nil
	d.Env = string(s.cfg.Environment)
	d.Methods = groupMethods(s.methods)
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, d); err != nil {
		s.log.Error("shop: render", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Shop) index(w http.ResponseWriter, r *http.Request) {
	form := orderForm{Product: r.URL.Query().Get("product"), Method: "bca_va",
		Name: "Budi Utomo", Email: "budi.utomo@example.com", Phone: "081223323423"}
	if _, ok := findProduct(form.Product); !ok {
		form.Product = catalogue()[0].ID
	}
	s.page(w, http.StatusOK, "index.html", pageData{Title: "Toko Nusa", Products: catalogue(), Form: form})
}

// createOrder stores an order for the chosen product at the catalogue's
// price and sends the browser to its checkout page.
func (s *Shop) createOrder(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := orderForm{Product: r.PostForm.Get("product"), Method: r.PostForm.Get("method"),
		Name: r.PostForm.Get("name"), Email: r.PostForm.Get("email"), Phone: r.PostForm.Get("phone")}
	c := customer{Name: f.Name, Email: f.Email, Phone: f.Phone}
	bad := c.validate()
	p, ok := findProduct(f.Product)
	if !ok {
		bad["product"] = "Please choose a product."
	}
	if _, ok := s.svc.Method(f.Method); !ok {
		bad["method"] = "Please choose a payment method."
	}
	if len(bad) > 0 {
		s.page(w, http.StatusUnprocessableEntity, "index.html", pageData{Title: "Toko Nusa", Products: catalogue(), Form: f, Errors: bad})
		return
	}
	ord, err := s.orders.create(r.Context(), p, f.Method, c)
	if err != nil {
		s.log.Error("shop: create order", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/orders/"+ord.Ref, http.StatusSeeOther)
}

func (s *Shop) orderPage(w http.ResponseWriter, r *http.Request) {
	ord, err := s.orders.get(r.Context(), r.PathValue("ref"))
	if errors.Is(err, payments.ErrNotFound) {
		s.page(w, http.StatusNotFound, "notfound.html", pageData{Title: "No such order"})
		return
	}
	if err != nil {
		s.log.Error("shop: order page", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.page(w, http.StatusOK, "order.html", pageData{Title: "Checkout · " + ord.ProductName, Order: ord,
		ThreeDS: s.threeDS, Prefix: prefix})
}

// orderState is what the checkout page polls besides the module's payment
// route: whether the order is fulfilled, and which payment attempt is
// current.
type orderState struct {
	Ref         string     `json:"ref"`
	Status      string     `json:"status"`
	Fulfilled   bool       `json:"fulfilled"`
	FulfilledAt *time.Time `json:"fulfilled_at,omitempty"`
	// PaymentOrderID is the current attempt, set once the module has
	// recorded it (so polling its public route never meets a 404).
	PaymentOrderID string `json:"payment_order_id,omitempty"`
	Method         string `json:"method,omitempty"`
	// CanPay says a new attempt may start: none yet, or the last failed.
	CanPay   bool `json:"can_pay"`
	Attempts int  `json:"attempts"`
}

func (s *Shop) orderState(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ord, p, ok := s.orderAndPayment(w, r)
	if !ok {
		return
	}
	if p != nil && s.sim == nil && s.cfg.SyncEvery > 0 && ord.Status == orderOpen {
		switch p.Outcome() {
		case payments.OutcomePending, payments.OutcomeUnknown, payments.OutcomeInReview:
			// Midtrans cannot reach a localhost webhook: ask it, rate-limited.
			if ok, err := s.orders.claimSync(ctx, ord.Ref, s.cfg.SyncEvery); err == nil && ok {
				if synced, err := s.svc.Sync(ctx, p.OrderID); err != nil {
					s.log.Warn("shop: sync", "payment", p.OrderID, "error", err)
				} else {
					p = synced
				}
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"order": s.stateOf(ord, p)})
}

func (s *Shop) stateOf(ord *Order, p *payments.Payment) orderState {
	st := orderState{Ref: ord.Ref, Status: ord.Status, Fulfilled: ord.Status == orderFulfilled, Attempts: ord.Attempts}
	if !ord.FulfilledAt.IsZero() {
		t := ord.FulfilledAt
		st.FulfilledAt = &t
	}
	if p != nil {
		st.PaymentOrderID, st.Method = p.OrderID, p.Method
	}
	st.CanPay = ord.Status == orderOpen && (p == nil || p.Outcome() == payments.OutcomeFailed)
	return st
}

// switchMethod ends the current, unpaid attempt so the customer can pay
// another way: Midtrans' expire where the method supports it, else cancel.
func (s *Shop) switchMethod(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ord, p, ok := s.orderAndPayment(w, r)
	if !ok {
		return
	}
	if p != nil && p.Outcome() == payments.OutcomePending {
		var err error
		m, _ := s.svc.Method(p.Method)
		if m != nil && m.Capabilities().Expire {
			p, err = s.svc.Expire(ctx, p.OrderID)
		} else {
			p, err = s.svc.Cancel(ctx, p.OrderID)
		}
		if err != nil {
			s.jsonError(w, err)
			return
		}
	}
	st := s.stateOf(ord, p)
	if !st.CanPay {
		writeJSON(w, http.StatusConflict, errorBody("not_switchable", "This payment can no longer be switched."))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"order": st})
}

// simulatePay plays the customer paying at the simulator; its notification
// then reaches the webhook like Midtrans' would.
func (s *Shop) simulatePay(w http.ResponseWriter, r *http.Request) {
	_, p, ok := s.orderAndPayment(w, r)
	if !ok {
		return
	}
	if p == nil {
		writeJSON(w, http.StatusConflict, errorBody("no_payment", "Start a payment first."))
		return
	}
	if err := s.sim.Pay(p.OrderID); err != nil {
		msg := "The simulator cannot pay this payment now."
		if errors.Is(err, midtranstest.ErrUnknownTransaction) {
			// The simulator keeps its state in memory; the shop's database outlives it.
			msg = "The simulator restarted and no longer knows this payment: use another method."
		}
		s.log.Info("shop: simulated payment refused", "payment", p.OrderID, "error", err)
		writeJSON(w, http.StatusConflict, errorBody("not_payable", msg))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"paid": p.OrderID})
}

// qrCode draws a payment's QR string as SVG. The string is the payment's
// own, never text from the request.
func (s *Shop) qrCode(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.Payment(r.Context(), r.PathValue("order_id"))
	if err != nil || p.QRString == "" {
		http.NotFound(w, r)
		return
	}
	svg, err := qr.SVG(p.QRString)
	if err != nil {
		s.log.Error("shop: qr", "payment", p.OrderID, "error", err)
		http.Error(w, "cannot draw this QR code", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(svg)
}

func errorBody(code, msg string) map[string]any {
	return map[string]any{"error": map[string]string{"code": code, "message": msg}}
}

// jsonError answers with the error's status; internal details stay in the log.
func (s *Shop) jsonError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, payments.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errorBody("not_found", "No such order."))
	case errors.Is(err, payments.ErrNotAllowed), errors.Is(err, payments.ErrUnsupported):
		writeJSON(w, http.StatusConflict, errorBody("not_allowed", "Not possible in the payment's current state."))
	default:
		s.log.Error("shop: request failed", "error", err)
		writeJSON(w, http.StatusInternalServerError, errorBody("internal", "Something went wrong; please try again."))
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// orderAndPayment loads the order named in the path and its current
// payment attempt (nil before the first), answering the error itself when
// it cannot.
func (s *Shop) orderAndPayment(w http.ResponseWriter, r *http.Request) (*Order, *payments.Payment, bool) {
	ord, err := s.orders.get(r.Context(), r.PathValue("ref"))
	if err != nil {
		s.jsonError(w, err)
		return nil, nil, false
	}
	p, err := s.orders.currentPayment(r.Context(), ord)
	if err != nil {
		s.jsonError(w, err)
		return nil, nil, false
	}
	return ord, p, true
}
