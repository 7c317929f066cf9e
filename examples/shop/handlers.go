package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/qr"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
)

// methodInfo describes a payment method on the page. Its label and hint
// are texts keyed by its name ("method.bca_va", "method.bca_va.hint").
type methodInfo struct {
	Name  string // the plugin name the module charges
	Icon  string // one of the generic icons in icons.html
	Group string // the text key of its heading
}

// methodChoices lists the registered methods in the order a checkout
// usually shows them; methods the shop does not know come last.
func methodChoices(registered []string) []methodInfo {
	known := []methodInfo{
		{"credit_card", "card", "group.card"},
		{"bca_va", "bank", "group.bank"},
		{"bni_va", "bank", "group.bank"},
		{"bri_va", "bank", "group.bank"},
		{"permata_va", "bank", "group.bank"},
		{"cimb_va", "bank", "group.bank"},
		{"echannel", "bank", "group.bank"},
		{"qris", "qr", "group.wallet"},
		{"gopay", "wallet", "group.wallet"},
		{"shopeepay", "wallet", "group.wallet"},
		{"dana", "wallet", "group.wallet"},
		{"indomaret", "store", "group.store"},
		{"alfamart", "store", "group.store"},
		{"akulaku", "paylater", "group.paylater"},
		{"snap", "other", "group.snap"},
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
			out = append(out, methodInfo{Name: n, Icon: "other", Group: "group.other"})
		}
	}
	return out
}

// MethodLabel is a method's name for shoppers.
func (l *locale) MethodLabel(name string) string {
	if l.Has("method." + name) {
		return l.T("method." + name)
	}
	return name
}

// PaidWith names how p is paid: its method, and for Snap the channel the
// customer chose there, once Midtrans has said which.
func (l *locale) PaidWith(p *payments.Payment) string {
	if p.Method == "snap" && l.Has("channel."+p.PaymentType) {
		return l.T("pay.snap.channel", l.T("channel."+p.PaymentType))
	}
	return l.MethodLabel(p.Method)
}

// ReceiptMethod is the receipt's line on how p was paid, with the card
// when there was one: "BCA Virtual Account", "Credit or debit card, card
// 48111111-1114", "Snap: card 48111111-1114".
func (l *locale) ReceiptMethod(p *payments.Payment) string {
	if p.Card == nil || p.Card.MaskedCard == "" {
		return l.PaidWith(p)
	}
	card := l.T("receipt.card", p.Card.MaskedCard)
	if p.Method == "snap" {
		return l.T("pay.snap.channel", card)
	}
	return l.MethodLabel(p.Method) + ", " + card
}

// MethodHint is the line under a method's name, or "".
func (l *locale) MethodHint(name string) string {
	if l.Has("method." + name + ".hint") {
		return l.T("method." + name + ".hint")
	}
	return ""
}

// methodGroup is a heading of the method list and its methods.
type methodGroup struct {
	Name    string // text key
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

func (s *Shop) icon(method string) string {
	for _, m := range s.methods {
		if m.Name == method {
			return m.Icon
		}
	}
	return "other"
}

func (s *Shop) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("POST /orders", s.createOrder)
	mux.HandleFunc("GET /orders/{ref}", s.orderPage)
	mux.HandleFunc("GET /orders/{ref}/live", s.livePanel)
	mux.HandleFunc("GET /orders/{ref}/state", s.orderState)
	mux.HandleFunc("POST /orders/{ref}/switch", s.switchMethod)
	mux.HandleFunc("POST /orders/{ref}/cancel", s.cancelOrder)
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
	L         *locale
	Path      string // this page's GET path, for the language switch
	Title     string
	Simulated bool
	Env       string
	Products  []Product
	Methods   []methodGroup
	// index
	Form   orderForm
	Errors map[string]string // field → text key
	// order page
	Order   *Order
	Live    *liveView
	Note    string // the answer of a form posted without JavaScript
	ThreeDS threeDS
	// SnapJS is Midtrans' snap.js with real keys; empty with the
	// simulator, whose Snap page the browser is sent to instead.
	SnapJS snapJS
	Prefix string
}

// JSTexts are the texts the checkout script shows, as JSON.
func (d pageData) JSTexts() (string, error) {
	m := map[string]string{}
	for _, k := range []string{"js.choose", "js.failed", "js.payable", "js.unavailable", "js.network", "js.cardlib",
		"js.cardrefused", "js.3dsfailed", "js.3dspending", "js.3dsclosed", "js.snapclosed", "js.snapfailed", "order.processing", "pay.copy", "pay.copied", "pay.copy.fail"} {
		m[k] = d.L.T(k)
	}
	b, err := json.Marshal(m)
	return string(b), err
}

type orderForm struct {
	Product, Method, Name, Email, Phone string
}

func (s *Shop) page(w http.ResponseWriter, status int, name string, d pageData) {
	d.Simulated = s.sim != nil
	d.Env = string(s.cfg.Environment)
	d.Methods = groupMethods(s.methods)
	s.render(w, status, name, d)
}

func (s *Shop) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("shop: render", "template", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Shop) index(w http.ResponseWriter, r *http.Request) {
	l := s.localeFor(w, r)
	form := orderForm{Product: r.URL.Query().Get("product"), Method: "bca_va",
		Name: "Budi Utomo", Email: "budi.utomo@example.com", Phone: "081223323423"}
	if _, ok := findProduct(form.Product); !ok {
		form.Product = catalogue()[0].ID
	}
	s.page(w, http.StatusOK, "index.html", pageData{L: l, Path: "/", Title: l.T("title.shop"), Products: catalogue(), Form: form})
}

// createOrder stores an order for the chosen product at the catalogue's
// price and sends the browser to its checkout page.
func (s *Shop) createOrder(w http.ResponseWriter, r *http.Request) {
	l := s.localeFor(w, r)
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
		bad["product"] = "err.product"
	}
	if _, ok := s.svc.Method(f.Method); !ok {
		bad["method"] = "err.method"
	}
	if len(bad) > 0 {
		s.page(w, http.StatusUnprocessableEntity, "index.html", pageData{L: l, Path: "/", Title: l.T("title.shop"),
			Products: catalogue(), Form: f, Errors: bad})
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
	l := s.localeFor(w, r)
	ord, err := s.orders.get(r.Context(), r.PathValue("ref"))
	if errors.Is(err, payments.ErrNotFound) {
		s.page(w, http.StatusNotFound, "notfound.html", pageData{L: l, Path: "/", Title: l.T("title.none")})
		return
	}
	if err != nil {
		s.log.Error("shop: order page", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p, err := s.livePayment(r.Context(), ord)
	if err != nil {
		s.log.Error("shop: order page", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var note string
	if code := r.URL.Query().Get("msg"); code != "" && l.Has("msg."+code) {
		note = l.T("msg." + code)
	}
	s.page(w, http.StatusOK, "order.html", pageData{L: l, Path: "/orders/" + ord.Ref,
		Title: l.T("title.order", l.T("product."+ord.ProductID+".name")), Order: ord, Live: s.liveOf(l, ord, p),
		Note: note, ThreeDS: s.threeDS, SnapJS: s.snapJS, Prefix: prefix})
}

// livePanel is the payment panel of the order page, which the page's
// script fetches while something may change: one renderer, on the server,
// for the first paint and every update.
func (s *Shop) livePanel(w http.ResponseWriter, r *http.Request) {
	l := s.localeFor(w, r)
	ord, err := s.orders.get(r.Context(), r.PathValue("ref"))
	if err != nil {
		s.jsonError(w, l, err)
		return
	}
	p, err := s.livePayment(r.Context(), ord)
	if err != nil {
		s.jsonError(w, l, err)
		return
	}
	s.render(w, http.StatusOK, "live", s.liveOf(l, ord, p))
}

// liveView is what the payment panel shows.
type liveView struct {
	L         *locale
	Order     *Order
	P         *payments.Payment // the current attempt, nil before the first
	Icon      string
	Simulated bool
	// CanPay says the customer may start a new attempt: the method picker
	// shows.
	CanPay bool
	// Settled says nothing changes any more without the customer, so the
	// page stops polling.
	Settled bool
	// Key changes whenever the panel does; the script swaps the panel only
	// then.
	Key string
	// ExpiresIn is the countdown's first value; the script ticks it.
	ExpiresIn string
}

func (s *Shop) liveOf(l *locale, ord *Order, p *payments.Payment) *liveView {
	st := s.stateOf(ord, p)
	v := &liveView{L: l, Order: ord, P: p, Simulated: s.sim != nil, CanPay: st.CanPay,
		Settled: ord.Status != orderOpen || st.CanPay}
	v.Key = fmt.Sprintf("%s/%t", ord.Status, st.CanPay)
	if p != nil {
		v.Icon = s.icon(p.Method)
		v.Key += fmt.Sprintf("/%s@%d", p.OrderID, p.Version)
		if left := time.Until(p.ExpiresAt); !p.ExpiresAt.IsZero() && left > 0 {
			v.ExpiresIn = countdown(left)
		}
	}
	return v
}

// Outcome is the payment's outcome, "" without a payment.
func (v *liveView) Outcome() string {
	if v.P == nil {
		return ""
	}
	return string(v.P.Outcome())
}

// OrderLabel is the order's state in shopper words.
func (v *liveView) OrderLabel() string { return v.L.T("order." + v.Order.Status) }

// countdown formats a duration as the page's timer does: 1:05:09, 04:59.
func countdown(d time.Duration) string {
	t := int(d / time.Second)
	if t >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", t/3600, t/60%60, t%60)
	}
	return fmt.Sprintf("%02d:%02d", t/60, t%60)
}

// livePayment returns the order's current attempt. With real keys it asks
// Midtrans about a pending one now and then, rate-limited: Midtrans cannot
// reach a localhost webhook.
func (s *Shop) livePayment(ctx context.Context, ord *Order) (*payments.Payment, error) {
	p, err := s.orders.currentPayment(ctx, ord)
	if err != nil || p == nil || s.sim != nil || s.cfg.SyncEvery <= 0 || ord.Status != orderOpen {
		return p, err
	}
	switch p.Outcome() {
	case payments.OutcomePending, payments.OutcomeUnknown, payments.OutcomeInReview:
		if ok, err := s.orders.claimSync(ctx, ord.Ref, s.cfg.SyncEvery); err == nil && ok {
			if synced, err := s.svc.Sync(ctx, p.OrderID); err != nil {
				s.log.Warn("shop: sync", "payment", p.OrderID, "error", err)
			} else {
				p = synced
			}
		}
	}
	return p, nil
}

// orderState is the order's state as JSON, for scripts and tests: whether
// it is fulfilled, and which payment attempt is current.
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
	l := s.localeFor(w, r)
	ord, err := s.orders.get(r.Context(), r.PathValue("ref"))
	if err != nil {
		s.jsonError(w, l, err)
		return
	}
	p, err := s.livePayment(r.Context(), ord)
	if err != nil {
		s.jsonError(w, l, err)
		return
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

// endAttempt ends the order's current attempt while it is pending, so the
// customer can pay another way or cancel: Midtrans' expire where the
// method supports it, else cancel. An attempt Midtrans does not know (the
// simulator restarted and forgot it) cannot be paid by anyone, so the
// order lets go of it instead of dead-ending. It returns the attempt as it
// is now, nil when let go of.
func (s *Shop) endAttempt(ctx context.Context, ord *Order, p *payments.Payment) (*payments.Payment, error) {
	if p == nil || p.Outcome() != payments.OutcomePending {
		return p, nil
	}
	var ended *payments.Payment
	var err error
	if m, ok := s.svc.Method(p.Method); ok && payments.PaymentCapabilities(m, p).Expire {
		ended, err = s.svc.Expire(ctx, p.OrderID)
	} else {
		ended, err = s.svc.Cancel(ctx, p.OrderID)
	}
	if errors.Is(err, midtrans.ErrNotFound) {
		s.log.Warn("shop: Midtrans does not know the payment; the order moves on without it", "order", ord.Ref, "payment", p.OrderID)
		return nil, s.orders.abandon(ctx, ord.Ref, p.OrderID)
	}
	return ended, err
}

// switchMethod ends the current, unpaid attempt so the customer can pay
// another way.
func (s *Shop) switchMethod(w http.ResponseWriter, r *http.Request) {
	l := s.localeFor(w, r)
	ord, p, ok := s.orderAndPayment(w, r, l)
	if !ok {
		return
	}
	p, err := s.endAttempt(r.Context(), ord, p)
	if err != nil {
		s.answerError(w, r, l, ord.Ref, err)
		return
	}
	st := s.stateOf(ord, p)
	if !st.CanPay {
		s.answer(w, r, l, ord.Ref, http.StatusConflict, "not_switchable", st)
		return
	}
	s.answer(w, r, l, ord.Ref, http.StatusOK, "", st)
}

// cancelOrder ends the current attempt, if any is pending, and cancels the
// order: the customer changed their mind.
func (s *Shop) cancelOrder(w http.ResponseWriter, r *http.Request) {
	l := s.localeFor(w, r)
	ord, p, ok := s.orderAndPayment(w, r, l)
	if !ok {
		return
	}
	if ord.Status != orderOpen {
		s.answer(w, r, l, ord.Ref, http.StatusConflict, "not_cancellable", s.stateOf(ord, p))
		return
	}
	p, err := s.endAttempt(r.Context(), ord, p)
	if err != nil {
		s.answerError(w, r, l, ord.Ref, err)
		return
	}
	cancelled := false
	if p == nil || p.Outcome() == payments.OutcomeFailed {
		if cancelled, err = s.orders.cancel(r.Context(), ord.Ref); err != nil {
			s.answerError(w, r, l, ord.Ref, err)
			return
		}
	}
	if ord, err = s.orders.get(r.Context(), ord.Ref); err != nil {
		s.answerError(w, r, l, r.PathValue("ref"), err)
		return
	}
	if !cancelled {
		s.answer(w, r, l, ord.Ref, http.StatusConflict, "not_cancellable", s.stateOf(ord, p))
		return
	}
	s.log.Info("shop: order cancelled", "order", ord.Ref)
	s.answer(w, r, l, ord.Ref, http.StatusOK, "", s.stateOf(ord, p))
}

// simulatePay plays the customer paying at the simulator; its notification
// then reaches the webhook like Midtrans' would.
func (s *Shop) simulatePay(w http.ResponseWriter, r *http.Request) {
	l := s.localeFor(w, r)
	ord, p, ok := s.orderAndPayment(w, r, l)
	if !ok {
		return
	}
	if p == nil {
		s.answer(w, r, l, ord.Ref, http.StatusConflict, "no_payment", nil)
		return
	}
	if err := s.sim.Pay(p.OrderID); err != nil {
		code := "not_payable"
		if errors.Is(err, midtranstest.ErrUnknownTransaction) {
			// The simulator keeps its state in memory; the shop's database outlives it.
			code = "sim_restarted"
		}
		s.log.Info("shop: simulated payment refused", "payment", p.OrderID, "error", err)
		s.answer(w, r, l, ord.Ref, http.StatusConflict, code, nil)
		return
	}
	s.answer(w, r, l, ord.Ref, http.StatusOK, "", map[string]string{"paid": p.OrderID})
}

// answer ends a POST of the order page. The page's script asks for JSON;
// a plain form post (no JavaScript) is sent back to the order page, with
// the message, if any, in its query.
func (s *Shop) answer(w http.ResponseWriter, r *http.Request, l *locale, ref string, status int, code string, result any) {
	if !wantsJSON(r) {
		to := "/orders/" + url.PathEscape(ref)
		if code != "" {
			to += "?msg=" + url.QueryEscape(code)
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	if code != "" {
		writeJSON(w, status, errorBody(code, l.T("msg."+code)))
		return
	}
	if st, ok := result.(orderState); ok {
		result = map[string]any{"order": st}
	}
	writeJSON(w, status, result)
}

func (s *Shop) answerError(w http.ResponseWriter, r *http.Request, l *locale, ref string, err error) {
	if wantsJSON(r) {
		s.jsonError(w, l, err)
		return
	}
	code := "internal"
	switch {
	case errors.Is(err, payments.ErrNotAllowed), errors.Is(err, payments.ErrUnsupported):
		code = "not_allowed"
	default:
		s.log.Error("shop: request failed", "error", err)
	}
	s.answer(w, r, l, ref, http.StatusConflict, code, nil)
}

// wantsJSON reports whether the request came from the page's script.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
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
func (s *Shop) jsonError(w http.ResponseWriter, l *locale, err error) {
	switch {
	case errors.Is(err, payments.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errorBody("not_found", l.T("msg.not_found")))
	case errors.Is(err, payments.ErrNotAllowed), errors.Is(err, payments.ErrUnsupported):
		writeJSON(w, http.StatusConflict, errorBody("not_allowed", l.T("msg.not_allowed")))
	default:
		s.log.Error("shop: request failed", "error", err)
		writeJSON(w, http.StatusInternalServerError, errorBody("internal", l.T("msg.internal")))
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
func (s *Shop) orderAndPayment(w http.ResponseWriter, r *http.Request, l *locale) (*Order, *payments.Payment, bool) {
	ord, err := s.orders.get(r.Context(), r.PathValue("ref"))
	if err != nil {
		s.jsonError(w, l, err)
		return nil, nil, false
	}
	p, err := s.orders.currentPayment(r.Context(), ord)
	if err != nil {
		s.jsonError(w, l, err)
		return nil, nil, false
	}
	return ord, p, true
}
