package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/nusapay/payments/internal/uid"
	"github.com/nusapay/payments/midtrans"
)

// GoPay tokenization: a customer links their GoPay account once
// (LinkGoPayAccount), confirms on GoPay's activation page, and is then
// charged without a deeplink or QR: CreateCharge with methods.GoPayOptions
// naming the account (AccountID and the host's CustomerID). The Service
// looks the account's payment option token up in the Store and puts it in
// the charge itself, so the token never passes through the host, a browser
// or a log; the browser cannot name an account either (those options are
// the host's).
//
// The account is stored before the customer confirms, tied to the host's
// customer id. Midtrans reports the confirmation (and an unlinking from
// the GoPay app) with a pay account notification to the webhook route:
// point the dashboard's Pay Account Notification URL at the same route as
// the Payment Notification URL. The notification carries no balance or
// token, so the Service confirms it with GetPaymentAccount and stores
// Midtrans' current view; RefreshPaymentAccount does the same on demand.

// ErrDuplicatePayAccount: the merchant account already has a pay account
// with that Midtrans account_id. Decided by the store's unique constraint.
var ErrDuplicatePayAccount = errors.New("payments: pay account already stored")

// PayAccountStore holds linked pay accounts, one row per Midtrans
// account_id in the store's account.
type PayAccountStore interface {
	// CreatePaymentAccount inserts a with a.Account set to the store's
	// account. An account_id already stored in the account returns an
	// error wrapping ErrDuplicatePayAccount.
	CreatePaymentAccount(ctx context.Context, a *PaymentAccount) error
	// PaymentAccount returns the account with a Midtrans account_id, or
	// ErrNotFound.
	PaymentAccount(ctx context.Context, accountID string) (*PaymentAccount, error)
	// CustomerPaymentAccounts lists a customer's accounts, newest first
	// (by CreatedAt, then ID).
	CustomerPaymentAccounts(ctx context.Context, customerID string) ([]*PaymentAccount, error)
	// UpdatePaymentAccount, in one transaction, locks the account c names,
	// plans c against it with PlanPaymentAccount and, when the plan
	// changes it, writes the plan with a compare-and-set on the version
	// it was planned against. It decides nothing itself. It returns the
	// account as stored afterwards and whether it changed. Unknown account
	// → ErrNotFound.
	UpdatePaymentAccount(ctx context.Context, c *PaymentAccountChange) (*PaymentAccount, bool, error)
}

// PayAccountStatus is a linked account's account_status.
type PayAccountStatus string

// Pay account statuses. Expired and Disabled are final: such an account is
// never charged again; the customer links again, which makes a new one.
const (
	PayAccountPending  PayAccountStatus = midtrans.AccountPending
	PayAccountEnabled  PayAccountStatus = midtrans.AccountEnabled
	PayAccountExpired  PayAccountStatus = midtrans.AccountExpired
	PayAccountDisabled PayAccountStatus = midtrans.AccountDisabled
)

// Known reports whether s is one of the four statuses.
func (s PayAccountStatus) Known() bool {
	switch s {
	case PayAccountPending, PayAccountEnabled, PayAccountExpired, PayAccountDisabled:
		return true
	}
	return false
}

// Final reports whether the account can never be enabled again.
func (s PayAccountStatus) Final() bool { return s == PayAccountExpired || s == PayAccountDisabled }

// DefaultPaymentOption is the payment option a linked GoPay account is
// charged from unless the host names another: the GoPay wallet.
const DefaultPaymentOption = "GOPAY_WALLET"

// PaymentAccount is a customer's linked GoPay account.
type PaymentAccount struct {
	// ID is this module's id of the row.
	ID string `json:"id"`
	// Account is the merchant account (Service.Account) it belongs to.
	Account string `json:"account"`
	// AccountID is Midtrans' account_id: what methods.GoPayOptions names.
	AccountID string `json:"account_id"`
	// CustomerID is the host's id of the customer who linked it.
	CustomerID  string           `json:"customer_id"`
	PaymentType string           `json:"payment_type"`
	Status      PayAccountStatus `json:"status"`
	// ActivationURL (web) and ActivationAppURL (the GoPay app) are where
	// to send the customer to confirm the link, while it is pending.
	ActivationURL    string `json:"activation_url,omitempty"`
	ActivationAppURL string `json:"activation_app_url,omitempty"`
	// Options are the payment options of an enabled account, with their
	// balances as Midtrans last reported them; empty otherwise.
	Options   []PayAccountOption `json:"options,omitempty"`
	Version   int64              `json:"version"`
	CreatedAt time.Time          `json:"created_at"`
	UpdatedAt time.Time          `json:"updated_at"`
}

// Option returns the payment option called name.
func (a *PaymentAccount) Option(name string) (PayAccountOption, bool) {
	for _, o := range a.Options {
		if o.Name == name {
			return o, true
		}
	}
	return PayAccountOption{}, false
}

// PayAccountOption is one payment option of a linked account.
type PayAccountOption struct {
	// Name is "GOPAY_WALLET", "PAY_LATER", …
	Name     string `json:"name"`
	Active   bool   `json:"active"`
	Balance  Amount `json:"balance"`
	Currency string `json:"currency,omitempty"`
	// Token charges this option. It prints, logs and encodes as
	// "[REDACTED]"; only a Store reads it, with Reveal.
	Token SecretToken `json:"token"`
}

// SecretToken is a payment option token: it charges the customer's account
// again, so every way of printing, logging or encoding it redacts it.
type SecretToken string

const redactedToken = "[REDACTED]"

// Reveal returns the token itself, for a Store to persist it and the
// Service to charge with it.
func (t SecretToken) Reveal() string { return string(t) }

func (t SecretToken) String() string { return t.redacted() }

// GoString is used by %#v.
func (t SecretToken) GoString() string { return `"` + t.redacted() + `"` }

// Format makes every fmt verb print the redacted form.
func (t SecretToken) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", t.redacted())
		return
	}
	fmt.Fprint(f, t.redacted())
}

// LogValue logs the redacted form.
func (t SecretToken) LogValue() slog.Value { return slog.StringValue(t.redacted()) }

// MarshalText encodes the redacted form (JSON included).
func (t SecretToken) MarshalText() ([]byte, error) { return []byte(t.redacted()), nil }

func (t SecretToken) redacted() string {
	if t == "" {
		return ""
	}
	return redactedToken
}

// PaymentAccountChange is what Midtrans reported about a pay account: an
// answer of the pay account endpoints or a notification.
type PaymentAccountChange struct {
	AccountID string
	Status    PayAccountStatus
	// Options are the payment options Midtrans listed; HasOptions says
	// whether it listed them at all (a notification does not).
	Options    []PayAccountOption
	HasOptions bool
	// Source is where the report came from, for logs.
	Source Source
}

// PaymentAccountChangeFrom turns a Midtrans answer or notification into a
// change. A balance Midtrans writes in a form ParseAmount refuses is an
// error: a balance is never guessed.
func PaymentAccountChangeFrom(r *midtrans.PaymentAccountResponse, src Source) (*PaymentAccountChange, error) {
	if r == nil {
		return nil, errors.New("pay account: nil answer")
	}
	c := &PaymentAccountChange{AccountID: r.AccountID, Status: PayAccountStatus(strings.ToUpper(r.AccountStatus)), Source: src}
	if r.Metadata != nil {
		c.HasOptions = true
		for _, o := range r.Metadata.PaymentOptions {
			var bal Amount
			if o.Balance.Value != "" {
				var err error
				if bal, err = ParseAmount(o.Balance.Value); err != nil {
					return nil, fmt.Errorf("pay account %s: option %s balance: %w", r.AccountID, o.Name, err)
				}
			}
			c.Options = append(c.Options, PayAccountOption{Name: o.Name, Active: o.Active, Balance: bal,
				Currency: o.Balance.Currency, Token: SecretToken(o.Token)})
		}
	}
	return c, nil
}

// PlanPaymentAccount returns stored as it is after c, at now, and whether
// anything changed. The rules: the status must be one of the four; a
// final account (expired, disabled) stays as it is, so a late or replayed
// "enabled" never brings an unlinked account back; options are kept only
// while the account is enabled, and replaced only when Midtrans listed
// them. It is pure: a Store calls it under the row's lock.
func PlanPaymentAccount(stored *PaymentAccount, c *PaymentAccountChange, now time.Time) (*PaymentAccount, bool, error) {
	if stored == nil || c == nil {
		return nil, false, errors.New("pay account: nil account or change")
	}
	if c.AccountID != stored.AccountID {
		return nil, false, fmt.Errorf("pay account %s: a change for %s: %w", stored.AccountID, c.AccountID, ErrConflict)
	}
	if !c.Status.Known() {
		return nil, false, fmt.Errorf("pay account %s: unknown account_status %q", stored.AccountID, c.Status)
	}
	if stored.Status.Final() {
		return stored, false, nil
	}
	next := *stored
	next.Status = c.Status
	switch {
	case c.Status != PayAccountEnabled:
		next.Options = nil
	case c.HasOptions:
		next.Options = append([]PayAccountOption(nil), c.Options...)
	}
	if c.Status != PayAccountPending {
		next.ActivationURL, next.ActivationAppURL = "", ""
	}
	if next.Status == stored.Status && sameOptions(next.Options, stored.Options) &&
		next.ActivationURL == stored.ActivationURL && next.ActivationAppURL == stored.ActivationAppURL {
		return stored, false, nil
	}
	next.Version = stored.Version + 1
	next.UpdatedAt = now
	return &next, true, nil
}

func sameOptions(a, b []PayAccountOption) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// LinkGoPayAccountRequest is what the host knows when a customer links
// GoPay.
type LinkGoPayAccountRequest struct {
	// CustomerID is the host's id of the authenticated customer: 1-255
	// characters without control characters.
	CustomerID string
	// PhoneNumber is the customer's GoPay number without country code or
	// leading 0: 9-12 digits ("81212345678").
	PhoneNumber string
	// CountryCode is the phone number's country code, 1-3 digits ("62").
	CountryCode string
	// RedirectURL is where GoPay sends the customer after confirming: an
	// http(s) URL or an app deeplink, chosen by the host. Optional.
	RedirectURL string
}

// Validate names every bad field in a *ValidationError.
func (l *LinkGoPayAccountRequest) Validate() error {
	var v ValidationError
	if l == nil {
		v.Add("customer_id", "is required")
		return v.Err()
	}
	checkCustomerID(&v, "customer_id", l.CustomerID)
	switch p := l.PhoneNumber; {
	case p == "":
		v.Add("phone_number", "is required")
	case !allDigits(p) || len(p) < 9 || len(p) > 12 || p[0] == '0':
		v.Add("phone_number", "must be 9-12 digits without country code or leading 0, e.g. 81212345678")
	}
	switch c := l.CountryCode; {
	case c == "":
		v.Add("country_code", "is required")
	case !allDigits(c) || len(c) > 3 || c[0] == '0':
		v.Add("country_code", "must be 1-3 digits without + or leading 0, e.g. 62")
	}
	if r := l.RedirectURL; r != "" {
		u, err := url.Parse(r)
		switch {
		case err != nil || u.Scheme == "" || strings.ContainsFunc(r, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
			v.Add("redirect_url", "must be an http(s) URL or an app deeplink")
		case (u.Scheme == "http" || u.Scheme == "https") && u.Host == "":
			v.Add("redirect_url", "must have a host")
		case u.Scheme == "javascript" || u.Scheme == "data" || u.Scheme == "file" || u.Scheme == "vbscript":
			v.Add("redirect_url", fmt.Sprintf("scheme %q is not allowed", u.Scheme))
		}
	}
	return v.Err()
}

func checkCustomerID(v *ValidationError, field, id string) {
	switch {
	case id == "":
		v.Add(field, "is required")
	case len(id) > 255:
		v.Add(field, "must be at most 255 bytes")
	case strings.ContainsFunc(id, unicode.IsControl):
		v.Add(field, "must not contain control characters")
	}
}

func checkAccountID(v *ValidationError, field, id string) {
	switch {
	case id == "":
		v.Add(field, "is required")
	case len(id) > 64 || id == "." || id == ".." || strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' }):
		v.Add(field, "must be a Midtrans account_id: at most 64 characters without spaces or slashes")
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// LinkGoPayAccount starts linking the customer's GoPay account and stores
// it, tied to l.CustomerID: pending, with the activation URLs to send the
// customer to. Bad input is a *ValidationError and nothing is sent.
// When Midtrans answers that the number is linked already, the account is
// returned refreshed if this customer linked it through this Service, and
// otherwise refused with an error wrapping ErrConflict: typing someone's
// phone number must not give their account.
//
// The account is stored after Midtrans answers, since its id is
// Midtrans'. Should storing fail after Midtrans made it, the pending link
// simply lapses unconfirmed; its notifications are ignored as unknown.
func (s *Service) LinkGoPayAccount(ctx context.Context, l *LinkGoPayAccountRequest) (a *PaymentAccount, err error) {
	ctx, span := s.span(ctx, "LinkGoPayAccount", "")
	defer func() { end(span, err) }()
	if err := l.Validate(); err != nil {
		return nil, err
	}
	resp, err := s.client.LinkPaymentAccount(ctx, &midtrans.PaymentAccountRequest{PaymentType: "gopay",
		GoPayPartner: &midtrans.GoPayPartner{PhoneNumber: l.PhoneNumber, CountryCode: l.CountryCode, RedirectURL: l.RedirectURL}},
		midtrans.WithIdempotencyKey(uid.New()))
	if err != nil {
		return nil, fmt.Errorf("link gopay account: %w", err)
	}
	status := PayAccountStatus(strings.ToUpper(resp.AccountStatus))
	if status != PayAccountPending && status != PayAccountEnabled {
		return nil, fmt.Errorf("link gopay account: Midtrans answered account_status %q", resp.AccountStatus)
	}
	if status == PayAccountEnabled {
		// Midtrans says the number is linked already. Only an account this
		// customer linked through this Service is theirs: anyone may type
		// a phone number, and an account linked elsewhere was never
		// confirmed by this customer.
		stored, err := s.store.PaymentAccount(ctx, resp.AccountID)
		switch {
		case errors.Is(err, ErrNotFound):
			return nil, fmt.Errorf("link gopay account %s: already linked, not by this customer here: %w", resp.AccountID, ErrConflict)
		case err != nil:
			return nil, fmt.Errorf("link gopay account %s: %w", resp.AccountID, err)
		case stored.CustomerID != l.CustomerID:
			return nil, fmt.Errorf("link gopay account %s: linked to another customer: %w", resp.AccountID, ErrConflict)
		}
		return s.RefreshPaymentAccount(ctx, resp.AccountID)
	}
	now := s.now().UTC()
	a = &PaymentAccount{ID: uid.New(), AccountID: resp.AccountID, CustomerID: l.CustomerID, PaymentType: "gopay",
		Status: PayAccountPending, CreatedAt: now, UpdatedAt: now}
	if act, ok := resp.Action(midtrans.ActionActivationLinkURL); ok {
		a.ActivationURL = act.URL
	}
	if act, ok := resp.Action(midtrans.ActionActivationLinkApp); ok {
		a.ActivationAppURL = act.URL
	}
	if err := s.store.CreatePaymentAccount(ctx, a); err != nil {
		if !errors.Is(err, ErrDuplicatePayAccount) {
			return nil, fmt.Errorf("link gopay account %s: %w", resp.AccountID, err)
		}
		stored, gerr := s.store.PaymentAccount(ctx, resp.AccountID)
		if gerr != nil {
			return nil, fmt.Errorf("link gopay account %s: %w", resp.AccountID, errors.Join(err, gerr))
		}
		if stored.CustomerID != l.CustomerID {
			return nil, fmt.Errorf("link gopay account %s: linked to another customer: %w", resp.AccountID, ErrConflict)
		}
		a = stored
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "payments: gopay account link", slog.String("account_id", a.AccountID),
		slog.String("status", string(status)))
	return a, nil
}

// PaymentAccount returns the customer's newest linked account (whatever
// its status), from the Store, or an error wrapping ErrNotFound.
func (s *Service) PaymentAccount(ctx context.Context, customerID string) (*PaymentAccount, error) {
	var v ValidationError
	checkCustomerID(&v, "customer_id", customerID)
	if err := v.Err(); err != nil {
		return nil, err
	}
	as, err := s.store.CustomerPaymentAccounts(ctx, customerID)
	if err != nil {
		return nil, fmt.Errorf("pay accounts of %s: %w", customerID, err)
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("pay accounts of %s: %w", customerID, ErrNotFound)
	}
	return as[0], nil
}

// PaymentAccountByID returns a stored account by Midtrans' account_id.
func (s *Service) PaymentAccountByID(ctx context.Context, accountID string) (*PaymentAccount, error) {
	var v ValidationError
	checkAccountID(&v, "account_id", accountID)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.store.PaymentAccount(ctx, accountID)
}

// RefreshPaymentAccount asks Midtrans for the account's status, payment
// options and balances and stores them (GET /v2/pay/account/{id}).
func (s *Service) RefreshPaymentAccount(ctx context.Context, accountID string) (a *PaymentAccount, err error) {
	ctx, span := s.span(ctx, "RefreshPaymentAccount", "")
	defer func() { end(span, err) }()
	if _, err := s.PaymentAccountByID(ctx, accountID); err != nil {
		return nil, err
	}
	resp, err := s.client.GetPaymentAccount(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("refresh pay account %s: %w", accountID, err)
	}
	return s.applyPaymentAccount(ctx, resp, SourceSync)
}

// UnlinkGoPayAccount unlinks the customer's account at Midtrans and stores
// it disabled: its token charges nothing any more. An account of another
// customer is ErrNotFound, as is an unknown one.
func (s *Service) UnlinkGoPayAccount(ctx context.Context, customerID, accountID string) (a *PaymentAccount, err error) {
	ctx, span := s.span(ctx, "UnlinkGoPayAccount", "")
	defer func() { end(span, err) }()
	var v ValidationError
	checkCustomerID(&v, "customer_id", customerID)
	checkAccountID(&v, "account_id", accountID)
	if err := v.Err(); err != nil {
		return nil, err
	}
	stored, err := s.store.PaymentAccount(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("unlink pay account %s: %w", accountID, err)
	}
	if stored.CustomerID != customerID {
		return nil, fmt.Errorf("unlink pay account %s: %w", accountID, ErrNotFound)
	}
	if stored.Status.Final() {
		return stored, nil
	}
	resp, err := s.client.UnlinkPaymentAccount(ctx, accountID, midtrans.WithIdempotencyKey(uid.New()))
	if err != nil {
		return nil, fmt.Errorf("unlink pay account %s: %w", accountID, err)
	}
	return s.applyPaymentAccount(ctx, resp, SourceOperation)
}

// ApplyPaymentAccountNotification records a pay account notification whose
// signature the caller (notify) has verified. A disabling is final and
// applied as sent; any other status is confirmed with GetPaymentAccount
// first, since the notification carries no balances or tokens and may be
// a late copy. An account this Service never stored is an error wrapping
// ErrNotFound. It returns once the change is committed.
func (s *Service) ApplyPaymentAccountNotification(ctx context.Context, n *midtrans.PaymentAccountResponse) (a *PaymentAccount, err error) {
	ctx, span := s.span(ctx, "ApplyPaymentAccountNotification", "")
	defer func() { end(span, err) }()
	var v ValidationError
	if n == nil {
		v.Add("account_id", "is required")
		return nil, v.Err()
	}
	checkAccountID(&v, "account_id", n.AccountID)
	if !PayAccountStatus(strings.ToUpper(n.AccountStatus)).Known() {
		v.Add("account_status", fmt.Sprintf("unknown account_status %q", n.AccountStatus))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if _, err := s.store.PaymentAccount(ctx, n.AccountID); err != nil {
		return nil, fmt.Errorf("pay account notification %s: %w", n.AccountID, err)
	}
	if PayAccountStatus(strings.ToUpper(n.AccountStatus)) == PayAccountDisabled {
		return s.applyPaymentAccount(ctx, n, SourceNotification)
	}
	resp, err := s.client.GetPaymentAccount(ctx, n.AccountID)
	if err != nil {
		return nil, fmt.Errorf("pay account notification %s: confirm: %w", n.AccountID, err)
	}
	return s.applyPaymentAccount(ctx, resp, SourceNotification)
}

func (s *Service) applyPaymentAccount(ctx context.Context, r *midtrans.PaymentAccountResponse, src Source) (*PaymentAccount, error) {
	c, err := PaymentAccountChangeFrom(r, src)
	if err != nil {
		return nil, err
	}
	a, changed, err := s.store.UpdatePaymentAccount(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("pay account %s: record %s: %w", r.AccountID, c.Status, err)
	}
	if changed {
		s.log.LogAttrs(ctx, slog.LevelInfo, "payments: pay account changed", slog.String("account_id", a.AccountID),
			slog.String("status", string(a.Status)), slog.String("source", string(src)))
	}
	return a, nil
}

// LinkedAccountOptions is implemented by a method's options that may
// charge a linked pay account (methods.GoPayOptions). When AccountID is
// set, CreateCharge checks that the stored account is the customer's and
// enabled, and puts the account id and the option's token in the Core API
// request's gopay object; any other problem is a *ValidationError naming
// options.account_id (or options.customer_id, options.payment_option) and
// nothing is stored or sent.
type LinkedAccountOptions interface {
	LinkedAccount() (customerID, accountID, paymentOption string)
}

// resolveLinkedAccount fills the linked account's token into built.
func (s *Service) resolveLinkedAccount(ctx context.Context, req *ChargeRequest, built Request) error {
	lo, ok := req.Options.(LinkedAccountOptions)
	if !ok {
		return nil
	}
	customerID, accountID, option := lo.LinkedAccount()
	if accountID == "" {
		return nil
	}
	if option == "" {
		option = DefaultPaymentOption
	}
	var v ValidationError
	if built.Core == nil || built.Core.PaymentType != "gopay" {
		v.Add("options.account_id", "a linked account is charged through the Core API gopay payment type only")
		return v.Err()
	}
	a, err := s.store.PaymentAccount(ctx, accountID)
	switch {
	case errors.Is(err, ErrNotFound):
		v.Add("options.account_id", "no linked GoPay account with this id")
		return v.Err()
	case err != nil:
		return fmt.Errorf("charge %s: pay account %s: %w", req.OrderID, accountID, err)
	case a.CustomerID != customerID:
		v.Add("options.account_id", "is not a linked account of options.customer_id")
		return v.Err()
	case a.Status != PayAccountEnabled:
		v.Add("options.account_id", fmt.Sprintf("the GoPay account is %s, not ENABLED; the customer must link it again", a.Status))
		return v.Err()
	}
	o, ok := a.Option(option)
	if !ok || !o.Active || o.Token == "" {
		v.Add("options.payment_option", fmt.Sprintf("the account has no active payment option %q", option))
		return v.Err()
	}
	if built.Core.GoPay == nil {
		built.Core.GoPay = &midtrans.GoPay{}
	}
	built.Core.GoPay.AccountID = a.AccountID
	built.Core.GoPay.PaymentOptionToken = o.Token.Reveal()
	return nil
}

// VerifyPaymentAccountSignature reports whether signature is the
// signature_key of a pay account notification with these fields, under the
// client's server key (midtrans.VerifyPaymentAccountSignature).
func (s *Service) VerifyPaymentAccountSignature(accountID, accountStatus, statusCode, signature string) bool {
	return s.client.VerifyPaymentAccountSignature(accountID, accountStatus, statusCode, signature)
}

// linkedChargeRefused refreshes the linked account of a charge Midtrans
// refused as invalid: the usual cause is a token revoked without the
// notification reaching us (unlinked in the GoPay app), and the refresh
// stores the account disabled, so the next charge is refused before it is
// stored or sent. A failed refresh is only logged: the charge's own error
// is what the caller needs.
func (s *Service) linkedChargeRefused(ctx context.Context, built Request, callErr error) {
	if built.Core == nil || built.Core.GoPay == nil || built.Core.GoPay.PaymentOptionToken == "" ||
		built.Core.GoPay.AccountID == "" || !errors.Is(callErr, midtrans.ErrValidation) {
		return
	}
	if _, err := s.RefreshPaymentAccount(ctx, built.Core.GoPay.AccountID); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "payments: refresh of a refused linked account failed",
			slog.String("account_id", built.Core.GoPay.AccountID), slog.String("error", err.Error()))
	}
}
