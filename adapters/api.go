package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/notify"
)

var prefixPattern = regexp.MustCompile(`^(/[A-Za-z0-9_.~-]+)+$`)

// OrderSource tells the module what a checkout is paying for. The browser
// sends only an order reference (and its choice of method); amount, items
// and customer come from here, so a customer can never set the price.
type OrderSource interface {
	// PaymentOrder returns the order to charge for ref, paid with method
	// (a registered method name: use it for a method-specific expiry or
	// surcharge). Return an error wrapping payments.ErrNotFound for an
	// unknown order (404 order_not_found), or one wrapping
	// payments.ErrNotAllowed when it cannot be paid now (already paid,
	// cancelled, a payment running): 409 order_not_payable, without detail
	// unless the error is a NotPayable, which says why and names the live
	// payment.
	PaymentOrder(ctx context.Context, ref, method string) (*Order, error)
}

// NotPayable returns the error an OrderSource returns for an order that
// cannot be paid now, saying why: the route answers 409 order_not_payable
// with reason as the message (shown to the customer as it is: no internal
// detail) and, when liveOrderID names a payment the module has, that
// payment's public view (View) in "payment", so the checkout page can show
// the payment that is already running instead of starting another. It
// wraps payments.ErrNotAllowed; an empty reason keeps the default message,
// an empty liveOrderID names no payment.
func NotPayable(reason, liveOrderID string) error {
	return &NotPayableError{Reason: reason, LiveOrderID: liveOrderID}
}

// NotPayableError is NotPayable's error, for errors.As.
type NotPayableError struct {
	// Reason is shown to the customer.
	Reason string
	// LiveOrderID is the Midtrans order id of the order's live payment,
	// if any.
	LiveOrderID string
}

func (e *NotPayableError) Error() string {
	msg := "adapters: order not payable"
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.LiveOrderID != "" {
		msg += " (live payment " + e.LiveOrderID + ")"
	}
	return msg
}

// Unwrap returns payments.ErrNotAllowed.
func (e *NotPayableError) Unwrap() error { return payments.ErrNotAllowed }

// OrderSourceFunc adapts a function to OrderSource.
type OrderSourceFunc func(ctx context.Context, ref, method string) (*Order, error)

// PaymentOrder calls f.
func (f OrderSourceFunc) PaymentOrder(ctx context.Context, ref, method string) (*Order, error) {
	return f(ctx, ref, method)
}

// Order is what OrderSource returns.
type Order struct {
	// OrderID is the Midtrans order id for this payment attempt, unique per
	// payment: for a second attempt at the same order (another method after
	// an expiry), return a new one, e.g. "INV-1042-2". Make it hard to guess:
	// the public status route is keyed by it.
	OrderID  string
	Amount   payments.Amount
	Items    []payments.Item
	Customer *payments.Customer
	// Options are the method's options as the host decides them: nil, or
	// a value or pointer of the method's options type (methods.CardOptions
	// for "credit_card"), e.g. 3-D Secure, pre-authorisation, a saved card
	// of the signed-in customer, callback URLs, the installment terms on
	// offer. The fields the browser chose (those the type tags
	// payments:"customer", such as a card token) go on top; a host value in
	// one of those fields is a default the browser may override.
	Options any
	// Expiry, custom fields, metadata and notification URLs, as in
	// payments.ChargeRequest.
	Expiry                   time.Duration
	CustomField1             string
	CustomField2             string
	CustomField3             string
	Metadata                 json.RawMessage
	OverrideNotificationURLs []string
	AppendNotificationURLs   []string
}

// Authorizer decides whether a request may do op on the payment for
// orderID, and says who is asking. op is an operation (one of
// payments.Operations: sync, cancel, expire, refund, capture, approve,
// deny), a console action (payments.ActionRequeueEvent,
// payments.ActionReplayNotification) or OpView, reading the console
// (orderID "" for its list). Return the staff identity ("ana@shop.example")
// and nil to allow: it is recorded with every action (payments.WithActor)
// and its audit rows. An error refuses with 403 (wrap ErrUnauthenticated
// for 401). orderID, when set, is always one payments.ValidOrderID accepts;
// op is not checked yet. The subscription routes ask about the ops
// "subscription.create" (orderID ""), "subscription.view",
// "subscription.update", "subscription.enable", "subscription.disable" and
// "subscription.sync", with the subscription's id as orderID (see
// OpSubscriptionCreate).
type Authorizer func(ctx context.Context, r *Request, op, orderID string) (staff string, err error)

// OpView is the op an Authorizer is asked about for reading the console.
const OpView = "view"

// ErrUnauthenticated makes an Authorizer's refusal a 401 instead of a 403.
var ErrUnauthenticated = errors.New("adapters: unauthenticated")

// Request is an HTTP request as the adapters hand it over.
type Request struct {
	// Method is the HTTP method and Host the Host header (the authority
	// the client asked for), for the cross-origin check.
	Method string
	Host   string
	// Params are the path parameters: "order_id", "op".
	Params map[string]string
	// Query is the URL's query (the console's filters).
	Query  url.Values
	Header http.Header
	// Body is the request body, already limited to the route's MaxBody;
	// TooLarge is set when it was longer.
	Body     []byte
	TooLarge bool
	// Raw is the framework's own request, for Authorizers that need more
	// (*http.Request for nethttp, fiber.Ctx for fiber).
	Raw any
}

// Response is what to send back: JSON, unless ContentType says otherwise
// (the console's pages).
type Response struct {
	Status int
	// ContentType is the body's type; "" means application/json.
	ContentType string
	// Header holds headers to send besides the JSON content type (Allow
	// on a 405); usually nil.
	Header http.Header
	Body   []byte
}

// Route is one route for an adapter to mount.
type Route struct {
	// Name identifies the route in logs and tests.
	Name string
	// Method is the HTTP method.
	Method string
	// Path is relative to the prefix, with {name} parameters
	// ("/payments/{order_id}/{op}"); each adapter writes it its own way.
	Path string
	// MaxBody is the largest body the route accepts.
	MaxBody int64
	// Handle serves the route.
	Handle func(ctx context.Context, r *Request) Response
}

// API is the module's routes for one Service.
type API struct {
	svc       *payments.Service
	notify    *notify.Handler
	orders    OrderSource
	authorize Authorizer
	prefix    string
	log       *slog.Logger
	// origins guards the state-changing routes but the webhook.
	origins *http.CrossOriginProtection
	// console is set by WithConsole; cons is the console it builds.
	console bool
	cons    *console
}

// Option configures an API.
type Option interface{ apply(*API) error }

type optionFunc func(*API) error

func (f optionFunc) apply(a *API) error { return f(a) }

// WithPrefix sets the path prefix (default "/payments"). It must start with
// "/" and not end with one.
func WithPrefix(prefix string) Option {
	return optionFunc(func(a *API) error {
		// Only characters both routers read literally: Fiber gives * + ? : a
		// meaning that net/http does not.
		if !prefixPattern.MatchString(prefix) {
			return fmt.Errorf("adapters: prefix %q must start with /, not end with one, and use only A-Z a-z 0-9 / _ . ~ -", prefix)
		}
		a.prefix = prefix
		return nil
	})
}

// Options given nil keep their default: no OrderSource or Authorizer
// (that route is not mounted), the default notify Handler and logger.

// WithOrderSource mounts the charges route, with amounts from src. A nil
// src (or a nil OrderSourceFunc) mounts nothing.
func WithOrderSource(src OrderSource) Option {
	return optionFunc(func(a *API) error {
		if fn, ok := src.(OrderSourceFunc); src == nil || ok && fn == nil {
			return nil
		}
		a.orders = src
		return nil
	})
}

// WithAuthorizer mounts the operation routes, behind auth. A nil auth
// mounts nothing.
func WithAuthorizer(auth Authorizer) Option {
	return optionFunc(func(a *API) error {
		if auth != nil {
			a.authorize = auth
		}
		return nil
	})
}

// WithNotifyHandler uses h for the webhook instead of a default
// notify.New(svc) (to pass notify options such as rotation keys); nil
// keeps the default.
func WithNotifyHandler(h *notify.Handler) Option {
	return optionFunc(func(a *API) error {
		if h != nil {
			a.notify = h
		}
		return nil
	})
}

// WithLogger sets the logger; the default (and nil) discards.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(a *API) error {
		if l != nil {
			a.log = l
		}
		return nil
	})
}

// WithTrustedOrigins lets browsers on these origins ("https://checkout.example.com":
// scheme and host, no path) call the state-changing routes although they
// are on another origin than the API, as http.CrossOriginProtection's
// AddTrustedOrigin. Needed only when the front end is served from another
// origin than the API.
func WithTrustedOrigins(origins ...string) Option {
	return optionFunc(func(a *API) error {
		for _, o := range origins {
			if err := a.origins.AddTrustedOrigin(o); err != nil {
				return fmt.Errorf("adapters: trusted origin: %w", err)
			}
		}
		return nil
	})
}

// New returns the API for svc.
func New(svc *payments.Service, opts ...Option) (*API, error) {
	if svc == nil {
		return nil, errors.New("adapters: nil service")
	}
	a := &API{svc: svc, prefix: "/payments", log: slog.New(slog.DiscardHandler), origins: http.NewCrossOriginProtection()}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(a); err != nil {
			return nil, err
		}
	}
	if a.console {
		if a.authorize == nil {
			return nil, errors.New("adapters: WithConsole needs WithAuthorizer: the console is never mounted without one")
		}
		c, err := newConsole(svc)
		if err != nil {
			return nil, err
		}
		a.cons = c
	}
	if a.notify == nil {
		h, err := notify.New(svc)
		if err != nil {
			return nil, err
		}
		a.notify = h
	}
	return a, nil
}

// Prefix returns the path prefix.
func (a *API) Prefix() string { return a.prefix }

// Route names.
const (
	RouteNotifications = "notifications"
	RouteCharges       = "charges"
	RoutePayment       = "payment"
	RouteOperation     = "operation"
)

// Body limits per route. The webhook's is its notify.Handler's
// (notify.WithMaxBodySize); MaxNotificationBody is the default.
const (
	MaxNotificationBody = notify.DefaultMaxBodySize
	MaxChargeBody       = 16 << 10
	MaxOperationBody    = 4 << 10
)

// Routes returns the routes to mount, in a stable order. Routes whose
// prerequisite (OrderSource, Authorizer, WithConsole) is missing are not
// returned.
func (a *API) Routes() []Route {
	routes := []Route{
		{Name: RouteNotifications, Method: http.MethodPost, Path: "/notifications", MaxBody: int64(a.notify.MaxBodySize()), Handle: a.handleNotification},
		{Name: RoutePayment, Method: http.MethodGet, Path: "/payments/{order_id}", Handle: a.handlePayment},
	}
	if a.orders != nil {
		routes = append(routes, Route{Name: RouteCharges, Method: http.MethodPost, Path: "/charges", MaxBody: MaxChargeBody, Handle: a.stateChanging(a.handleCharge)})
	}
	if a.authorize != nil {
		routes = append(routes, Route{Name: RouteOperation, Method: http.MethodPost, Path: "/payments/{order_id}/{op}", MaxBody: MaxOperationBody, Handle: a.stateChanging(a.handleOperation)})
		routes = append(routes, a.subscriptionRoutes()...)
	}
	if a.cons != nil {
		routes = append(routes, a.consoleRoutes()...)
	}
	return routes
}

// Unmatched answers a request under the prefix that no route matched;
// the adapters send it every such request, so that the whole prefix
// answers in the JSON error shape. path is the request's path after the
// prefix, as sent (escaped): "/charges", "/payments/INV-1/x/y", "" for the
// prefix itself. When path is a route's, with another method, the answer
// is 405 method_not_allowed with an Allow header listing the methods the
// path has (HEAD with GET); otherwise 404 not_found. A route not mounted
// (no OrderSource, no Authorizer) has no path here.
func (a *API) Unmatched(method, path string) Response {
	var allow []string
	for _, r := range a.Routes() {
		if !pathMatches(r.Path, path) {
			continue
		}
		allow = append(allow, r.Method)
		if r.Method == http.MethodGet {
			allow = append(allow, http.MethodHead)
		}
	}
	if len(allow) == 0 {
		return errorResponse(http.StatusNotFound, "not_found", "no such route", nil)
	}
	slices.Sort(allow)
	allow = slices.Compact(allow)
	resp := errorResponse(http.StatusMethodNotAllowed, "method_not_allowed",
		fmt.Sprintf("%s is not allowed here; allowed: %s", method, strings.Join(allow, ", ")), nil)
	resp.Header = http.Header{"Allow": {strings.Join(allow, ", ")}}
	return resp
}

// pathMatches reports whether path has the segments of a route path, a
// {name} parameter matching any non-empty segment.
func pathMatches(route, path string) bool {
	rs, ps := strings.Split(route, "/"), strings.Split(path, "/")
	if len(rs) != len(ps) {
		return false
	}
	for i, seg := range rs {
		if isParam := strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}"); isParam && ps[i] != "" || seg == ps[i] {
			continue
		}
		return false
	}
	return true
}

// stateChanging guards a route a browser may be tricked into calling
// (charges, operations; not the webhook, which its signature
// authenticates): first cross-origin protection, as
// http.CrossOriginProtection decides it (Sec-Fetch-Site, else Origin
// against Host, with WithTrustedOrigins let through), 403 cross_origin;
// then the content type, 415 unsupported_media_type. A body must be sent
// as application/json, which an HTML form cannot do; an empty body (an
// operation that takes none) may come with no Content-Type or with
// application/json, never with another.
func (a *API) stateChanging(handle func(context.Context, *Request) Response) func(context.Context, *Request) Response {
	return func(ctx context.Context, r *Request) Response {
		if err := a.origins.Check(&http.Request{Method: r.Method, Host: r.Host, Header: r.Header}); err != nil {
			return errorResponse(http.StatusForbidden, "cross_origin", "cross-origin request refused", nil)
		}
		ct := r.Header.Get("Content-Type")
		if (ct != "" || len(r.Body) > 0 || r.TooLarge) && !isJSON(ct) {
			return errorResponse(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json", nil)
		}
		return handle(ctx, r)
	}
}

// isJSON reports whether a Content-Type is application/json, with any
// parameters (charset).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// BodyTooLarge is the answer for a body the server refused before any
// route read it (Fiber's Config.BodyLimit, see fiberadapter.ErrorHandler):
// 413 body_too_large, as a route answers a body over its own limit.
func BodyTooLarge() Response {
	return errorResponse(http.StatusRequestEntityTooLarge, "body_too_large", "body larger than the server accepts", nil)
}

func (a *API) handleNotification(ctx context.Context, r *Request) Response {
	if r.TooLarge {
		return errorResponse(http.StatusRequestEntityTooLarge, "body_too_large", "notification body too large", nil)
	}
	res := a.notify.Handle(ctx, r.Body)
	status, code := notificationStatus(res)
	if status >= 400 {
		// The same error shape as every other route (the message says
		// why); Midtrans acts on the status code alone.
		return errorResponse(status, code, res.Message, nil)
	}
	return jsonResponse(status, res.Answer())
}

// PaymentView is the public view of a payment that checkout pages poll: the
// state and what the customer needs to pay, without personal data
// (no customer, items, metadata or custom fields).
type PaymentView struct {
	OrderID        string               `json:"order_id"`
	Method         string               `json:"method"`
	PaymentType    string               `json:"payment_type,omitempty"`
	Amount         payments.Amount      `json:"gross_amount"`
	Currency       string               `json:"currency"`
	Status         payments.Status      `json:"transaction_status"`
	Outcome        payments.Outcome     `json:"outcome"`
	StatusMessage  string               `json:"status_message,omitempty"`
	Instructions   PublicInstructions   `json:"instructions"`
	ExpiresAt      *time.Time           `json:"expiry_time,omitempty"`
	PaidAt         *time.Time           `json:"paid_at,omitempty"`
	RefundedAmount payments.Amount      `json:"refunded_amount"`
	UpdatedAt      time.Time            `json:"updated_at"`
	Card           *payments.CardResult `json:"card,omitempty"`
	Actions        []payments.Action    `json:"actions,omitempty"`
	Version        int64                `json:"version"`
}

// PublicInstructions are the payment instructions safe to show in a browser.
type PublicInstructions struct {
	VANumber    string `json:"va_number,omitempty"`
	Bank        string `json:"bank,omitempty"`
	BillKey     string `json:"bill_key,omitempty"`
	BillerCode  string `json:"biller_code,omitempty"`
	PaymentCode string `json:"payment_code,omitempty"`
	Store       string `json:"store,omitempty"`
	QRString    string `json:"qr_string,omitempty"`
	QRImageURL  string `json:"qr_image_url,omitempty"`
	DeeplinkURL string `json:"deeplink_url,omitempty"`
	RedirectURL string `json:"redirect_url,omitempty"`
	SnapToken   string `json:"snap_token,omitempty"`
}

// View returns the public view of p.
func View(p *payments.Payment) *PaymentView {
	v := &PaymentView{
		OrderID: p.OrderID, Method: p.Method, PaymentType: p.PaymentType, Amount: p.Amount, Currency: p.Currency,
		Status: p.Status, Outcome: p.Outcome(), StatusMessage: publicMessage(p), RefundedAmount: p.RefundedAmount,
		UpdatedAt: p.UpdatedAt, Version: p.Version, Actions: p.Actions,
		Instructions: PublicInstructions{
			VANumber: p.VANumber, Bank: p.Bank, BillKey: p.BillKey, BillerCode: p.BillerCode, PaymentCode: p.PaymentCode,
			Store: p.Store, QRString: p.QRString, QRImageURL: p.QRImageURL, DeeplinkURL: p.DeeplinkURL,
			RedirectURL: p.RedirectURL, SnapToken: p.SnapToken,
		},
	}
	if !p.ExpiresAt.IsZero() {
		t := p.ExpiresAt
		v.ExpiresAt = &t
	}
	if !p.PaidAt.IsZero() {
		t := p.PaidAt
		v.PaidAt = &t
	}
	if p.Card != nil {
		// The masked number and result codes, never the saved token.
		c := *p.Card
		c.SavedTokenID, c.SavedTokenExpiresAt = "", time.Time{}
		v.Card = &c
	}
	return v
}

// publicMessage hides internal error text (StatusUnknown stores the client
// error) from the browser.
func publicMessage(p *payments.Payment) string {
	if p.Status.Local() {
		return ""
	}
	return p.StatusMessage
}

func (a *API) handlePayment(ctx context.Context, r *Request) Response {
	orderID := r.Params["order_id"]
	if resp, ok := checkOrderID(orderID); !ok {
		return resp
	}
	p, err := a.svc.Payment(ctx, orderID)
	if err != nil {
		return a.fail(ctx, err, nil)
	}
	return jsonResponse(http.StatusOK, map[string]any{"payment": View(p)})
}

// ChargeRequest is the body of POST {prefix}/charges.
type ChargeRequest struct {
	// OrderRef names the host's order; the OrderSource resolves it.
	OrderRef string `json:"order_ref"`
	// Method is the payment method ("bca_va", "gopay", "credit_card", ...).
	Method string `json:"method"`
	// Options are the method's options the customer chooses: only the
	// fields its options type tags payments:"customer" (for a card
	// token_id, bank and installment_term). A field of the type that is
	// the host's is refused with 400 option_not_allowed naming it (the
	// host sets those in Order.Options); a field the type does not have,
	// with 400 unknown_field.
	Options json.RawMessage `json:"options,omitempty"`
}

func (a *API) handleCharge(ctx context.Context, r *Request) Response {
	if r.TooLarge {
		return errorResponse(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("body larger than %d bytes", MaxChargeBody), nil)
	}
	var body ChargeRequest
	if err := decodeBody(r.Body, &body); err != nil {
		return a.fail(ctx, err, nil)
	}
	var ve payments.ValidationError
	if strings.TrimSpace(body.OrderRef) == "" {
		ve.Add("order_ref", "is required")
	}
	m, ok := a.svc.Method(body.Method)
	if !ok {
		ve.Add("method", fmt.Sprintf("unknown payment method %q (available: %s)", body.Method, strings.Join(a.svc.Methods(), ", ")))
	}
	if ok {
		// Refuse what the browser may not choose, and what no option is,
		// before asking the host: payments.CustomerOptions decides both.
		if _, err := payments.CustomerOptions(m, nil, body.Options); err != nil {
			var oe *payments.ValidationError
			if errors.Is(err, payments.ErrHostOption) || errors.Is(err, payments.ErrUnknownOption) || !errors.As(err, &oe) {
				return a.fail(ctx, err, nil)
			}
			ve.Fields = append(ve.Fields, oe.Fields...)
		}
	}
	if err := ve.Err(); err != nil {
		return a.fail(ctx, err, nil)
	}
	order, err := a.orders.PaymentOrder(ctx, body.OrderRef, body.Method)
	if err != nil {
		switch {
		case errors.Is(err, payments.ErrNotFound):
			return errorResponse(http.StatusNotFound, "order_not_found", "no such order", nil)
		case errors.Is(err, payments.ErrNotAllowed):
			return a.notPayable(ctx, err)
		}
		a.log.ErrorContext(ctx, "adapters: order source", "order_ref", body.OrderRef, "error", err)
		return errorResponse(http.StatusInternalServerError, "internal", "internal error", nil)
	}
	// The host's options first, the customer's choices on top.
	opts, err := payments.CustomerOptions(m, order.Options, body.Options)
	if err != nil {
		return a.fail(ctx, err, nil)
	}
	p, err := a.svc.CreateCharge(ctx, &payments.ChargeRequest{
		OrderID: order.OrderID, Method: body.Method, Amount: order.Amount, Items: order.Items, Customer: order.Customer,
		Options: opts, Expiry: order.Expiry, CustomField1: order.CustomField1, CustomField2: order.CustomField2,
		CustomField3: order.CustomField3, Metadata: order.Metadata,
		OverrideNotificationURLs: order.OverrideNotificationURLs, AppendNotificationURLs: order.AppendNotificationURLs,
	})
	if err != nil {
		return a.fail(ctx, err, p)
	}
	return jsonResponse(http.StatusCreated, map[string]any{"payment": View(p)})
}

// notPayable answers an OrderSource's refusal: 409 order_not_payable, with
// a NotPayableError's reason and live payment when it has them.
func (a *API) notPayable(ctx context.Context, err error) Response {
	msg, live := "the order cannot be paid now", (*payments.Payment)(nil)
	var npe *NotPayableError
	if errors.As(err, &npe) {
		if npe.Reason != "" {
			msg = npe.Reason
		}
		if npe.LiveOrderID != "" && payments.ValidOrderID(npe.LiveOrderID) {
			p, err := a.svc.Payment(ctx, npe.LiveOrderID)
			switch {
			case err == nil:
				live = p
			case !errors.Is(err, payments.ErrNotFound):
				// The refusal stands; only its detail is missing.
				a.log.ErrorContext(ctx, "adapters: live payment", "order_id", npe.LiveOrderID, "error", err)
			}
		}
	}
	return errorResponse(http.StatusConflict, "order_not_payable", msg, live)
}

// OperationRequest is the body of POST {prefix}/payments/{order_id}/{op};
// only refund and capture read it (payments.OperationInfo.Fields).
type OperationRequest = payments.OperationRequest

func (a *API) handleOperation(ctx context.Context, r *Request) Response {
	orderID, op := r.Params["order_id"], r.Params["op"]
	// An id no payment can have is refused before the Authorizer sees it,
	// so an Authorizer may use orderID in its own queries as it is.
	if resp, ok := checkOrderID(orderID); !ok {
		return resp
	}
	// Authorise first, so an unauthenticated caller learns nothing, not
	// even which operation names exist.
	staff, err := a.authorize(ctx, r, op, orderID)
	if err != nil {
		if errors.Is(err, ErrUnauthenticated) {
			return errorResponse(http.StatusUnauthorized, "unauthenticated", "authentication required", nil)
		}
		return errorResponse(http.StatusForbidden, "forbidden", "not allowed", nil)
	}
	ctx = payments.WithActor(ctx, staff)
	// The operation table is the one list of operation names.
	info, ok := payments.Operation(op)
	if !ok {
		return errorResponse(http.StatusNotFound, "unknown_operation", fmt.Sprintf("unknown operation %q", op), nil)
	}
	if r.TooLarge {
		return errorResponse(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("body larger than %d bytes", MaxOperationBody), nil)
	}
	var body OperationRequest
	if len(r.Body) > 0 {
		if err := decodeBody(r.Body, &body); err != nil {
			return a.fail(ctx, err, nil)
		}
	}
	p, refund, err := a.svc.Operate(ctx, orderID, info.Name, body)
	if err != nil {
		return a.fail(ctx, err, p)
	}
	out := map[string]any{"payment": View(p)}
	if refund != nil {
		out["refund"] = refundView(refund)
	}
	return jsonResponse(http.StatusOK, out)
}

func refundView(r *payments.Refund) map[string]any {
	return map[string]any{"refund_key": r.Key, "amount": r.Amount, "status": r.Status, "direct": r.Direct,
		"status_code": r.StatusCode, "message": r.Message, "created_at": r.CreatedAt}
}

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error struct {
		// Code is stable; match on it, not on Message.
		Code    string                `json:"code"`
		Message string                `json:"message"`
		Fields  []payments.FieldError `json:"fields,omitempty"`
	} `json:"error"`
	// Payment is set when the error concerns an existing payment (a
	// duplicate order, an unknown outcome, a refusal).
	Payment *PaymentView `json:"payment,omitempty"`
}

func errorResponse(status int, code, msg string, p *payments.Payment) Response {
	var b ErrorBody
	b.Error.Code, b.Error.Message = code, msg
	if p != nil {
		b.Payment = View(p)
	}
	return jsonResponse(status, b)
}

// checkOrderID refuses an order id no payment can have (payments.ValidOrderID)
// with 400 invalid_order_id naming the field.
func checkOrderID(orderID string) (Response, bool) {
	if payments.ValidOrderID(orderID) {
		return Response{}, true
	}
	var b ErrorBody
	b.Error.Code, b.Error.Message = "invalid_order_id", "not a valid order id"
	b.Error.Fields = []payments.FieldError{{Field: "order_id", Message: "must be 1-50 characters of A-Z a-z 0-9 - _ . ~"}}
	return jsonResponse(http.StatusBadRequest, b), false
}

// notificationStatus chooses the status code of a notification's answer,
// and for a refusal its stable error code. Midtrans retries by the status
// code, so: 200 once the effect is committed or there is nothing to do
// (processed, duplicate, ignored); 4xx when delivering again cannot help;
// 503 otherwise, so that Midtrans delivers it again.
func notificationStatus(r notify.Result) (status int, code string) {
	switch r.Kind {
	case notify.Processed, notify.Duplicate, notify.Ignored:
		return http.StatusOK, ""
	case notify.Rejected:
		switch {
		case errors.Is(r.Err, notify.ErrTooLarge):
			return http.StatusRequestEntityTooLarge, "body_too_large"
		case errors.Is(r.Err, notify.ErrInvalidSignature):
			// A genuine notification failing here means a key is
			// misconfigured: Midtrans retries for hours, time to fix it.
			return http.StatusUnauthorized, "invalid_signature"
		case errors.Is(r.Err, payments.ErrStatusContradicts):
			return http.StatusBadRequest, "status_contradicts_code"
		}
		return http.StatusBadRequest, "malformed_notification"
	}
	return http.StatusServiceUnavailable, "unavailable"
}

// failure is how an error is answered: the status, the stable code, a
// message fit for the caller, the offending fields, whether the payment
// concerned goes with it, and how loudly it is logged (0: not at all).
type failure struct {
	status      int
	code, msg   string
	fields      []payments.FieldError
	withPayment bool
	log         slog.Level
	logged      bool
}

// classify maps an error to its failure: the one table of status codes
// and error codes, for the JSON routes and the console alike. Internal
// details never reach the caller; they are logged.
func classify(err error) failure {
	var ve *payments.ValidationError
	var apiErr *midtrans.APIError
	switch {
	case errors.Is(err, errMalformed):
		return failure{status: http.StatusBadRequest, code: "bad_request", msg: err.Error()}
	case (errors.Is(err, errUnknownField) || errors.Is(err, payments.ErrUnknownOption)) && errors.As(err, &ve):
		return failure{status: http.StatusBadRequest, code: "unknown_field", msg: "the body has fields this route does not take", fields: ve.Fields}
	case errors.Is(err, payments.ErrHostOption) && errors.As(err, &ve):
		return failure{status: http.StatusBadRequest, code: "option_not_allowed", msg: "options set by the host, not the customer", fields: ve.Fields}
	case errors.As(err, &ve):
		return failure{status: http.StatusUnprocessableEntity, code: "validation_failed", msg: "invalid input", fields: ve.Fields}
	case errors.Is(err, payments.ErrNotFound):
		return failure{status: http.StatusNotFound, code: "not_found", msg: "no such payment"}
	case errors.Is(err, payments.ErrDuplicateOrder):
		return failure{status: http.StatusConflict, code: "duplicate_order", msg: "the order already has a payment", withPayment: true}
	case errors.Is(err, payments.ErrOutcomeUnknown):
		// Accepted: the payment exists and will resolve; poll it.
		return failure{status: http.StatusAccepted, code: "outcome_unknown", msg: "Midtrans did not answer in time; the payment resolves shortly", withPayment: true}
	case errors.Is(err, payments.ErrNotAllowed):
		return failure{status: http.StatusConflict, code: "not_allowed", msg: "not allowed in the payment's current status", withPayment: true}
	case errors.Is(err, payments.ErrUnsupported):
		return failure{status: http.StatusUnprocessableEntity, code: "unsupported", msg: "the payment method does not support this", withPayment: true}
	case errors.Is(err, payments.ErrConflict):
		return failure{status: http.StatusConflict, code: "conflict", msg: "conflicts with an earlier request", withPayment: true}
	case errors.Is(err, midtrans.ErrUpstreamUnavailable), errors.Is(err, midtrans.ErrRateLimited):
		return failure{status: http.StatusBadGateway, code: "midtrans_unavailable", msg: "Midtrans is unavailable; try again", withPayment: true}
	case errors.As(err, &apiErr):
		return failure{status: http.StatusUnprocessableEntity, code: "payment_refused", msg: apiErr.Message, withPayment: true,
			log: slog.LevelWarn, logged: true}
	}
	return failure{status: http.StatusInternalServerError, code: "internal", msg: "internal error", log: slog.LevelError, logged: true}
}

// fail answers err as classify maps it, in the JSON error shape.
func (a *API) fail(ctx context.Context, err error, p *payments.Payment) Response {
	f := classify(err)
	if f.logged {
		a.log.Log(ctx, f.log, "adapters: "+f.code, "error", err)
	}
	if !f.withPayment {
		p = nil
	}
	var b ErrorBody
	b.Error.Code, b.Error.Message, b.Error.Fields = f.code, f.msg, f.fields
	if p != nil {
		b.Payment = View(p)
	}
	return jsonResponse(f.status, b)
}

func jsonResponse(status int, v any) Response {
	b, err := json.Marshal(v)
	if err != nil {
		return Response{Status: http.StatusInternalServerError, Body: []byte(`{"error":{"code":"internal","message":"internal error"}}`)}
	}
	return Response{Status: status, Body: b}
}

// The two ways a body is refused before its values are looked at; fail
// maps them (400 bad_request, 400 unknown_field).
var (
	errMalformed    = errors.New("invalid JSON")
	errUnknownField = errors.New("adapters: unknown field")
)

// decodeBody decodes the JSON object b into v, a pointer to a struct. A
// member must be spelled exactly as one of v's JSON names (encoding/json
// alone would take "Amount" for "amount", and the later of two spellings):
// every other member is named in a *payments.ValidationError wrapped with
// errUnknownField. Anything that is not one JSON object of the right
// types (syntax, trailing data, a string for a number) wraps errMalformed.
func decodeBody(b []byte, v any) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return fmt.Errorf("%w: %w", errMalformed, err)
	}
	known := jsonNames(reflect.TypeOf(v).Elem())
	var ve payments.ValidationError
	for _, k := range slices.Sorted(maps.Keys(members)) {
		if !slices.Contains(known, k) {
			ve.Add(k, "unknown field")
		}
	}
	if len(ve.Fields) > 0 {
		return fmt.Errorf("%w: %w", errUnknownField, &ve)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", errMalformed, err)
	}
	return nil
}

// jsonNames lists the JSON names encoding/json sets in struct type t.
func jsonNames(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported() && !f.Anonymous:
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			out = append(out, jsonNames(f.Type)...)
			continue
		case name == "":
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}
