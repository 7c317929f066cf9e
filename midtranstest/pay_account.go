package midtranstest

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/nusapay/payments/midtrans"
)

// GoPay tokenization (pay accounts). POST /v2/pay/account creates a PENDING
// account and answers 201 with its activation links; the customer confirms
// on the activation page (GET shows it, POST confirms) or a test calls
// ActivatePayAccount: the account becomes ENABLED with two payment options,
// GOPAY_WALLET and PAY_LATER, each with a balance and a token, and a
// linking notification, signed as SHA512(account_id + account_status +
// status_code + server key), goes to the Payment Notification URL (set
// Midtrans' Pay Account Notification URL to the same route). GET
// /v2/pay/account/{id} answers 201 PENDING, 200 ENABLED with metadata, or
// 204 EXPIRED/DISABLED; an unknown id is 404. POST …/unbind disables the
// account (204) and notifies; DisablePayAccount does the same from the
// GoPay app's side, ExpirePayAccount lets a pending link lapse.
//
// A charge with payment_type gopay and gopay.payment_option_token (and
// gopay.account_id, which must match) pays from the linked account without
// a deeplink: within the option's balance it settles at once (200, no
// actions, balance debited) and notifies; beyond it, it is denied (202). An
// unknown token, one of another account, or one of an account that is not
// ENABLED is refused with 400 and validation_messages, and nothing is made.

// Default balances of a newly enabled account's payment options.
const (
	DefaultWalletBalance   = 1_000_000
	DefaultPayLaterBalance = 350_000
)

// ErrUnknownPayAccount: no pay account has that account_id.
var ErrUnknownPayAccount = errors.New("midtranstest: unknown pay account")

const msgPayTokenInvalid = "gopay.payment_option_token is invalid or its account is not linked"

// PayAccount is a snapshot of a simulated pay account.
type PayAccount struct {
	AccountID   string
	Status      string // PENDING, ENABLED, EXPIRED, DISABLED
	PhoneNumber string
	CountryCode string
	RedirectURL string
	// Balances by payment option name, in rupiah.
	Balances map[string]int64
	// Tokens by payment option name: what GET /v2/pay/account reveals.
	Tokens map[string]string
}

type payOption struct {
	name    string
	balance int64
	token   string
}

type payAccount struct {
	id          string
	status      string
	phone       string
	country     string
	redirectURL string
	options     []*payOption
	createdAt   time.Time
}

// payAccounts is the simulator's pay account state, guarded by Server.mu.
type payAccounts struct {
	byID    map[string]*payAccount
	byToken map[string]*payAccount
}

func (p *payAccounts) init() {
	if p.byID == nil {
		p.byID = map[string]*payAccount{}
		p.byToken = map[string]*payAccount{}
	}
}

// routePayAccount answers /v2/pay/account[/{id}[/unbind]]; ok=false when
// segs is not such a path.
func (s *Server) routePayAccount(r *http.Request, segs []string, body []byte) (apiResult, bool) {
	if len(segs) < 3 || segs[1] != "pay" || segs[2] != "account" {
		return apiResult{}, false
	}
	switch {
	case len(segs) == 3:
		if r.Method != http.MethodPost {
			return methodNotAllowed(false), true
		}
		return s.linkPayAccount(body), true
	case len(segs) == 4:
		if r.Method != http.MethodGet {
			return methodNotAllowed(false), true
		}
		return s.getPayAccount(segs[3]), true
	case len(segs) == 5 && segs[4] == "unbind":
		if r.Method != http.MethodPost {
			return methodNotAllowed(false), true
		}
		return s.unbindPayAccount(segs[3]), true
	}
	return apiResult{}, false
}

func (s *Server) linkPayAccount(body []byte) apiResult {
	m, err := decodeObject(body)
	if err != nil {
		return syntaxError()
	}
	pt, _ := asString(m["payment_type"])
	partner, _ := asObject(m["gopay_partner"])
	phone, _ := asString(partner["phone_number"])
	country, _ := asString(partner["country_code"])
	redirect, _ := asString(partner["redirect_url"])
	var msgs []string
	switch {
	case pt == "":
		msgs = append(msgs, "payment_type is required")
	case pt != "gopay":
		msgs = append(msgs, "payment_type must be gopay")
	}
	if pt == "gopay" {
		if !isDigits(phone) || len(phone) < 9 || len(phone) > 12 || phone[0] == '0' {
			msgs = append(msgs, "gopay_partner.phone_number must be 9 to 12 digits without country code or leading 0")
		}
		if !isDigits(country) || len(country) > 3 {
			msgs = append(msgs, "gopay_partner.country_code must be 1 to 3 digits")
		}
	}
	if len(msgs) > 0 {
		return validationError(msgs)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.pay.init()
	for _, a := range s.pay.byID {
		if a.phone == phone && a.country == country && a.status == midtrans.AccountEnabled {
			// Already linked: 200 with the account, as the docs' status table says.
			return ok200(obj{"status_code": "200", "payment_type": "gopay", "account_id": a.id,
				"account_status": a.status})
		}
	}
	a := &payAccount{id: newUUID(), status: midtrans.AccountPending, phone: phone, country: country,
		redirectURL: redirect, createdAt: s.now()}
	s.pay.byID[a.id] = a
	return apiResult{status: http.StatusOK, body: mustJSON(obj{
		"status_code": "201", "payment_type": "gopay", "account_id": a.id, "account_status": a.status,
		"actions": actionsJSON(s.activationActions(a)),
	})}
}

func (s *Server) activationActions(a *payAccount) []action {
	b := s.baseURL + "/v2/gopay/redirect/"
	return []action{
		{Name: midtrans.ActionActivationLinkURL, Method: http.MethodGet, URL: b + "gpar_" + a.id + "/link"},
		{Name: midtrans.ActionActivationLinkApp, Method: http.MethodGet, URL: b + "gpad_" + a.id + "/link"},
	}
}

func (s *Server) getPayAccount(id string) apiResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pay.init()
	a := s.pay.byID[id]
	if a == nil {
		return coreError(http.StatusNotFound, "404", "Account not found", true)
	}
	o := obj{"payment_type": "gopay", "account_id": a.id, "account_status": a.status}
	switch a.status {
	case midtrans.AccountPending:
		o["status_code"] = "201"
	case midtrans.AccountEnabled:
		o["status_code"] = "200"
		opts := make([]obj, len(a.options))
		for i, p := range a.options {
			opts[i] = obj{"name": p.name, "active": true, "metadata": obj{}, "token": p.token,
				"balance": obj{"value": amountString(p.balance), "currency": "IDR"}}
		}
		o["metadata"] = obj{"payment_options": opts}
	default:
		o["status_code"] = "204"
	}
	return ok200(o)
}

func (s *Server) unbindPayAccount(id string) apiResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pay.init()
	a := s.pay.byID[id]
	if a == nil {
		return coreError(http.StatusNotFound, "404", "Account not found", true)
	}
	if a.status != midtrans.AccountDisabled {
		s.disablePayAccount(a)
	}
	return ok200(obj{"status_code": "204", "payment_type": "gopay", "account_id": a.id, "account_status": a.status,
		"channel_response_code": "0", "channel_response_message": "Process service request successfully."})
}

// disablePayAccount revokes a's tokens and notifies. Called with s.mu held.
func (s *Server) disablePayAccount(a *payAccount) {
	a.status = midtrans.AccountDisabled
	for _, p := range a.options {
		delete(s.pay.byToken, p.token)
	}
	s.notifyPayAccount(a, "204", "Midtrans account_unlinked notification")
}

// notifyPayAccount queues a signed pay account notification. Called with s.mu held.
func (s *Server) notifyPayAccount(a *payAccount, code, msg string) {
	body := mustJSON(obj{
		"account_id": a.id, "merchant_id": s.cfg.MerchantID, "payment_type": "gopay",
		"status_code": code, "account_status": a.status, "status_message": msg,
		"signature_key": midtrans.PaymentAccountSignature(a.id, a.status, code, s.cfg.ServerKey),
	})
	for _, u := range s.notificationURLs(nil, nil) {
		s.enqueue("pay-account "+a.id+" "+u, u, body)
	}
}

func payToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// ActivatePayAccount makes the customer confirm the link: a PENDING
// account becomes ENABLED with its payment options, and the linking
// notification is sent.
func (s *Server) ActivatePayAccount(accountID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pay.init()
	a := s.pay.byID[accountID]
	if a == nil {
		return fmt.Errorf("activate %s: %w", accountID, ErrUnknownPayAccount)
	}
	if a.status != midtrans.AccountPending {
		return fmt.Errorf("activate %s: %w: from %q to %q", accountID, ErrInvalidState, a.status, midtrans.AccountEnabled)
	}
	a.status = midtrans.AccountEnabled
	a.options = []*payOption{
		{name: "GOPAY_WALLET", balance: DefaultWalletBalance, token: payToken()},
		{name: "PAY_LATER", balance: DefaultPayLaterBalance, token: payToken()},
	}
	for _, p := range a.options {
		s.pay.byToken[p.token] = a
	}
	s.notifyPayAccount(a, "200", "Midtrans account_linked notification")
	return nil
}

// DisablePayAccount unlinks the account from the GoPay app's side: it
// becomes DISABLED, its tokens stop working, and the unlinking
// notification is sent.
func (s *Server) DisablePayAccount(accountID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pay.init()
	a := s.pay.byID[accountID]
	if a == nil {
		return fmt.Errorf("disable %s: %w", accountID, ErrUnknownPayAccount)
	}
	if a.status != midtrans.AccountEnabled {
		return fmt.Errorf("disable %s: %w: from %q to %q", accountID, ErrInvalidState, a.status, midtrans.AccountDisabled)
	}
	s.disablePayAccount(a)
	return nil
}

// ExpirePayAccount lets a pending link lapse: the account becomes EXPIRED.
// No notification is sent (Midtrans sends them for linking and unlinking).
func (s *Server) ExpirePayAccount(accountID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pay.init()
	a := s.pay.byID[accountID]
	if a == nil {
		return fmt.Errorf("expire %s: %w", accountID, ErrUnknownPayAccount)
	}
	if a.status != midtrans.AccountPending {
		return fmt.Errorf("expire %s: %w: from %q to %q", accountID, ErrInvalidState, a.status, midtrans.AccountExpired)
	}
	a.status = midtrans.AccountExpired
	return nil
}

// SetPayAccountBalance sets the balance of one payment option
// ("GOPAY_WALLET", "PAY_LATER") of an enabled account.
func (s *Server) SetPayAccountBalance(accountID, option string, balance int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pay.init()
	a := s.pay.byID[accountID]
	if a == nil {
		return fmt.Errorf("set balance %s: %w", accountID, ErrUnknownPayAccount)
	}
	for _, p := range a.options {
		if p.name == option {
			p.balance = balance
			return nil
		}
	}
	return fmt.Errorf("set balance %s: no payment option %q", accountID, option)
}

// PayAccount returns a snapshot of the pay account.
func (s *Server) PayAccount(accountID string) (PayAccount, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pay.init()
	a := s.pay.byID[accountID]
	if a == nil {
		return PayAccount{}, false
	}
	out := PayAccount{AccountID: a.id, Status: a.status, PhoneNumber: a.phone, CountryCode: a.country,
		RedirectURL: a.redirectURL, Balances: map[string]int64{}, Tokens: map[string]string{}}
	for _, p := range a.options {
		out.Balances[p.name] = p.balance
		out.Tokens[p.name] = p.token
	}
	return out, true
}

// resolvePayToken finds the enabled account and option a gopay charge's
// payment_option_token names; ok=false is the 400 answer. Called with
// s.mu held.
func (s *Server) resolvePayToken(mr methodReq) (*payAccount, *payOption, bool) {
	s.pay.init()
	a := s.pay.byToken[mr.payToken]
	if a == nil || a.status != midtrans.AccountEnabled || (mr.payAccountID != "" && mr.payAccountID != a.id) {
		return nil, nil, false
	}
	for _, p := range a.options {
		if p.token == mr.payToken {
			return a, p, true
		}
	}
	return nil, nil, false
}

// chargeLinked pays t from the linked account's option: no QR, no
// deeplink. Called with s.mu held, before the charge answer is rendered.
func (s *Server) chargeLinked(t *txn, a *payAccount, p *payOption) {
	t.payAccount, t.payOption = a.id, p.name
	t.qr = ""
	t.actions = nil
	if p.balance < t.gross {
		s.transition(t, stDeny, "accept")
		return
	}
	p.balance -= t.gross
	t.settledAt = s.now()
	s.transition(t, stSettlement, "accept")
}

// linkedChargeStatus is the status_code and message of a linked account's
// charge answer.
func (t *txn) linkedChargeStatus() (string, string) {
	switch t.status {
	case stSettlement:
		return "200", "Success, GoPay transaction is successful"
	case stDeny:
		return "202", "GoPay transaction is denied: insufficient balance"
	}
	return "201", "GO-PAY billing created"
}

var activationPage = template.Must(template.New("activation").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Link GoPay account</title></head>
<body><h1>Link your GoPay account</h1>
<p>Account {{.ID}} ({{.Status}}) for +{{.Country}} {{.Phone}}</p>
{{if eq .Status "PENDING"}}<form method="post"><button type="submit" name="action" value="confirm">Link account</button></form>{{end}}
</body></html>`))

// servePayAccountPage serves the activation links
// /v2/gopay/redirect/gpar_{id}/link and gpad_{id}/link: GET shows the
// account, POST confirms the link and redirects to the link request's
// redirect_url.
func (s *Server) servePayAccountPage(w http.ResponseWriter, r *http.Request, segs []string) bool {
	if len(segs) != 5 || segs[0] != "v2" || segs[1] != "gopay" || segs[2] != "redirect" || segs[4] != "link" {
		return false
	}
	id, ok := strings.CutPrefix(segs[3], "gpar_")
	if !ok {
		if id, ok = strings.CutPrefix(segs[3], "gpad_"); !ok {
			return false
		}
	}
	if r.Method == http.MethodPost {
		if err := s.ActivatePayAccount(id); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return true
		}
		a, _ := s.PayAccount(id)
		target := a.RedirectURL
		if target == "" {
			target = r.URL.Path
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return true
	}
	a, found := s.PayAccount(id)
	if !found {
		http.NotFound(w, r)
		return true
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = activationPage.Execute(w, struct{ ID, Status, Country, Phone string }{a.AccountID, a.Status, a.CountryCode, a.PhoneNumber})
	return true
}
