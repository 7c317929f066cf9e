package adapters

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// The console's routes: pages for support staff, server-rendered, working
// without JavaScript. Mounted with WithConsole, behind the Authorizer.
const (
	RouteConsoleList    = "console.list"
	RouteConsolePayment = "console.payment"
	RouteConsoleAction  = "console.action"
	RouteConsoleStyle   = "console.style"
)

// MaxConsoleBody is the largest form an action accepts.
const MaxConsoleBody = 4 << 10

//go:embed console
var consoleFiles embed.FS

// consoleCSP keeps the console's pages to what they are: HTML and the
// console's own style sheet, forms posted to the console, in no frame.
const consoleCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// WithConsole mounts the ops console under {prefix}/console: a filtered
// list of payments, a page per payment with its whole timeline (audit
// rows, notifications, refunds, hook events, staff actions; payloads with
// secrets masked), and its actions — the operations the payment allows
// now, redelivering a dead hook event, replaying a stored notification.
// Every page asks the Authorizer (op OpView to read, the action's name to
// act) and every action is confirmed on a page of its own, posted as a
// same-origin form with a CSRF token bound to the staff identity the
// Authorizer returned, and recorded with that identity (payments.StaffAction).
// New fails without WithAuthorizer.
//
// The CSRF tokens are keyed by a key derived from the Midtrans server key
// (midtrans.Client.DeriveKey), so replicas of one merchant accept each
// other's; a token lasts 12 to 24 hours.
func WithConsole() Option {
	return optionFunc(func(a *API) error {
		a.console = true
		return nil
	})
}

// console is the console's parsed templates and CSRF key.
type console struct {
	pages map[string]*template.Template
	key   []byte
	style []byte
}

func newConsole(svc *payments.Service) (*console, error) {
	c := &console{pages: map[string]*template.Template{}, key: svc.Client().DeriveKey("adapters console csrf")}
	funcs := template.FuncMap{
		"rupiah": payments.Amount.Rupiah,
		"when":   when,
		"state":  payments.State.String,
		"json":   prettyJSON,
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(consoleFiles, "console/layout.html")
	if err != nil {
		return nil, fmt.Errorf("adapters: console: %w", err)
	}
	for _, page := range []string{"list", "payment", "confirm", "error"} {
		t, err := template.Must(layout.Clone()).ParseFS(consoleFiles, "console/"+page+".html")
		if err != nil {
			return nil, fmt.Errorf("adapters: console: %w", err)
		}
		c.pages[page] = t
	}
	if c.style, err = consoleFiles.ReadFile("console/console.css"); err != nil {
		return nil, fmt.Errorf("adapters: console: %w", err)
	}
	return c, nil
}

func (a *API) consoleRoutes() []Route {
	return []Route{
		{Name: RouteConsoleList, Method: http.MethodGet, Path: "/console", Handle: a.consoleList},
		{Name: RouteConsoleStyle, Method: http.MethodGet, Path: "/console/console.css", Handle: a.consoleStyle},
		{Name: RouteConsolePayment, Method: http.MethodGet, Path: "/console/payments/{order_id}", Handle: a.consolePayment},
		{Name: RouteConsoleAction, Method: http.MethodPost, Path: "/console/payments/{order_id}/{op}", MaxBody: MaxConsoleBody, Handle: a.consoleAction},
	}
}

// page is what every console page has.
type page struct {
	Title  string
	Base   string // the console's path: {prefix}/console
	Staff  string
	Status int
}

func (a *API) render(name string, status int, data any) Response {
	var buf bytes.Buffer
	if err := a.cons.pages[name].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		a.log.Error("adapters: console: render", "page", name, "error", err)
		return Response{Status: http.StatusInternalServerError, ContentType: "text/plain; charset=utf-8", Header: consoleHeader(),
			Body: []byte("internal error")}
	}
	return Response{Status: status, ContentType: "text/html; charset=utf-8", Header: consoleHeader(), Body: buf.Bytes()}
}

func consoleHeader() http.Header {
	return http.Header{
		"Content-Security-Policy": {consoleCSP},
		"X-Frame-Options":         {"DENY"},
		"X-Content-Type-Options":  {"nosniff"},
		// The list's URL holds filters such as a customer's email.
		"Referrer-Policy": {"no-referrer"},
	}
}

type errorPage struct {
	page
	Message string
}

func (a *API) consoleError(status int, staff, msg string) Response {
	return a.render("error", status, errorPage{page: page{Title: http.StatusText(status), Base: a.consoleBase(), Staff: staff, Status: status}, Message: msg})
}

func (a *API) consoleBase() string { return a.prefix + "/console" }

// consoleAuth asks the Authorizer; ok false carries the refusal page.
func (a *API) consoleAuth(ctx context.Context, r *Request, op, orderID string) (string, Response, bool) {
	staff, err := a.authorize(ctx, r, op, orderID)
	if err != nil {
		if errors.Is(err, ErrUnauthenticated) {
			return "", a.consoleError(http.StatusUnauthorized, "", "Sign in to use the payments console."), false
		}
		return "", a.consoleError(http.StatusForbidden, "", "You may not do this."), false
	}
	return staff, Response{}, true
}

func (a *API) consoleStyle(_ context.Context, _ *Request) Response {
	h := consoleHeader()
	return Response{Status: http.StatusOK, ContentType: "text/css; charset=utf-8", Header: h, Body: a.cons.style}
}

// listPage is the payments list.
type listPage struct {
	page
	Filter   listFilter
	Errors   []payments.FieldError
	Payments []*payments.Payment
	Next     string // the next page's URL, "" on the last
	Statuses []payments.Status
	Outcomes []payments.Outcome
	Methods  []string
}

// listFilter is the list's form, as typed.
type listFilter struct {
	Q, Status, Outcome, Method, From, To string
}

// dateLayout is how the list's date fields are typed (the date input's).
const dateLayout = "2006-01-02"

// jakarta is where the console's dates are read: Indonesia's western time,
// UTC+7, without daylight saving.
var jakarta = time.FixedZone("WIB", 7*3600)

func (a *API) consoleList(ctx context.Context, r *Request) Response {
	staff, resp, ok := a.consoleAuth(ctx, r, OpView, "")
	if !ok {
		return resp
	}
	f := listFilter{Q: strings.TrimSpace(r.Query.Get("q")), Status: r.Query.Get("status"), Outcome: r.Query.Get("outcome"),
		Method: r.Query.Get("method"), From: r.Query.Get("from"), To: r.Query.Get("to")}
	q := payments.PaymentQuery{After: r.Query.Get("after")}
	var ve payments.ValidationError
	switch {
	case f.Q == "":
	case strings.Contains(f.Q, "@"):
		q.CustomerEmail = f.Q
	default:
		q.OrderIDPrefix = f.Q
	}
	if f.Status != "" {
		q.Statuses = []payments.Status{payments.Status(f.Status)}
	}
	if f.Outcome != "" {
		q.Outcomes = []payments.Outcome{payments.Outcome(f.Outcome)}
	}
	if f.Method != "" {
		q.Methods = []string{f.Method}
	}
	for _, d := range []struct {
		field, v string
		to       *time.Time
		days     int
	}{{"from", f.From, &q.CreatedFrom, 0}, {"to", f.To, &q.CreatedTo, 1}} {
		if d.v == "" {
			continue
		}
		t, err := time.ParseInLocation(dateLayout, d.v, jakarta)
		if err != nil {
			ve.Add(d.field, "must be a date, YYYY-MM-DD")
			continue
		}
		*d.to = t.AddDate(0, 0, d.days) // "to" includes its whole day
	}
	lp := listPage{page: page{Title: "Payments", Base: a.consoleBase(), Staff: staff}, Filter: f,
		Statuses: payments.Statuses(), Outcomes: payments.Outcomes(), Methods: a.svc.Methods()}
	status := http.StatusOK
	if err := ve.Err(); err == nil {
		err = q.Validate()
		if err == nil {
			var pg *payments.PaymentPage
			pg, err = a.svc.ListPayments(ctx, q)
			if err == nil {
				lp.Payments = pg.Payments
				if pg.Next != "" {
					next := r.Query
					next = cloneValues(next)
					next.Set("after", pg.Next)
					lp.Next = a.consoleBase() + "?" + next.Encode()
				}
			}
		}
		var qe *payments.ValidationError
		switch {
		case err == nil:
		case errors.As(err, &qe):
			ve.Fields = append(ve.Fields, qe.Fields...)
		default:
			a.log.ErrorContext(ctx, "adapters: console: list", "error", err)
			return a.consoleError(http.StatusInternalServerError, staff, "The payments could not be read. Try again.")
		}
	}
	if len(ve.Fields) > 0 {
		lp.Errors, status = ve.Fields, http.StatusBadRequest
	}
	lp.Status = status
	return a.render("list", status, lp)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// paymentPage is one payment with its timeline and actions.
type paymentPage struct {
	page
	P        *payments.Payment
	T        *payments.Timeline
	Customer string
	Ops      []opForm
	CSRF     string
	// RefundKey is the key a refund posted from this page is sent
	// with, so posting it twice refunds once.
	RefundKey  string
	Refundable payments.Amount
	Flash      *flash
	Payload    json.RawMessage
}

// opForm is one action button.
type opForm struct {
	Name, Label, When string
	Amount, Reason    bool
}

type flash struct {
	OK   bool
	Text string
}

func (a *API) consolePayment(ctx context.Context, r *Request) Response {
	orderID := r.Params["order_id"]
	if !payments.ValidOrderID(orderID) {
		return a.consoleError(http.StatusBadRequest, "", "Not a valid order id.")
	}
	staff, resp, ok := a.consoleAuth(ctx, r, OpView, orderID)
	if !ok {
		return resp
	}
	tl, err := a.svc.Timeline(ctx, orderID)
	if err != nil {
		f := classify(err)
		if f.logged {
			a.log.Log(ctx, f.log, "adapters: console: timeline", "order_id", orderID, "error", err)
		}
		return a.consoleError(f.status, staff, consoleMessage(f))
	}
	pp := paymentPage{page: page{Title: orderID, Base: a.consoleBase(), Staff: staff, Status: http.StatusOK}, P: tl.Payment, T: tl,
		CSRF: a.csrfToken(staff, time.Now()), RefundKey: newRefundKey(), Refundable: payments.Refundable(tl.Payment, tl.Refunds),
		Payload: tl.Payment.ChargeResponse}
	if c := tl.Payment.Customer; c != nil {
		pp.Customer = strings.TrimSpace(c.FirstName + " " + c.LastName + " " + c.Email)
	}
	for _, info := range a.svc.AvailableOperations(tl.Payment) {
		f := opForm{Name: string(info.Name), Label: opLabel(info.Name), When: info.When}
		f.Amount = slices.Contains(info.Fields, "amount")
		f.Reason = slices.Contains(info.Fields, "reason")
		pp.Ops = append(pp.Ops, f)
	}
	pp.Flash = flashFrom(r.Query)
	return a.render("payment", http.StatusOK, pp)
}

func opLabel(op payments.Op) string {
	if op == "" {
		return ""
	}
	return strings.ToUpper(string(op[:1])) + string(op[1:])
}

// consoleMessage is a failure as the console says it.
func consoleMessage(f failure) string {
	switch f.code {
	case "not_found":
		return "No such payment, event or notification."
	case "internal":
		return "Something went wrong. Try again; if it persists, the logs say why."
	}
	return f.msg
}

// Flash messages come from a fixed list (never from the URL), so a link
// cannot make the console say something it did not.
func flashFrom(q url.Values) *flash {
	if done := q.Get("done"); done != "" && isConsoleAction(done) {
		return &flash{OK: true, Text: actionLabel(done) + " done."}
	}
	failed := q.Get("failed")
	if failed == "" || !isConsoleAction(failed) {
		return nil
	}
	msg := map[string]string{
		"not_allowed":          "the payment's status no longer allows it",
		"unsupported":          "the payment method does not support it",
		"conflict":             "it conflicts with an earlier request",
		"midtrans_unavailable": "Midtrans is unavailable; try again",
		"payment_refused":      "Midtrans refused it (see the staff actions below)",
		"outcome_unknown":      "Midtrans did not answer in time; sync the payment shortly",
		"validation_failed":    "the input was not valid",
		"not_found":            "not found",
	}[q.Get("code")]
	if msg == "" {
		msg = "it failed (see the staff actions below)"
	}
	return &flash{Text: actionLabel(failed) + " failed: " + msg + "."}
}

func actionLabel(action string) string {
	switch action {
	case payments.ActionRequeueEvent:
		return "Redelivery"
	case payments.ActionReplayNotification:
		return "Replay"
	}
	return opLabel(payments.Op(action))
}

func isConsoleAction(action string) bool {
	if action == payments.ActionRequeueEvent || action == payments.ActionReplayNotification {
		return true
	}
	_, ok := payments.Operation(action)
	return ok
}

// confirmPage asks before an action runs.
type confirmPage struct {
	page
	OrderID  string
	Action   string
	Label    string
	Fields   []hiddenField
	Summary  []string
	CSRF     string
	Cancel   string
	Question string
}

type hiddenField struct{ Name, Value string }

// actionForm is an action's form, parsed.
type actionForm struct {
	values url.Values
	req    payments.OperationRequest
	id     string // event or notification id
}

var wholeRupiah = regexp.MustCompile(`^(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,15})$`)

func (a *API) consoleAction(ctx context.Context, r *Request) Response {
	orderID, action := r.Params["order_id"], r.Params["op"]
	if !payments.ValidOrderID(orderID) {
		return a.consoleError(http.StatusBadRequest, "", "Not a valid order id.")
	}
	// A form from another site is refused before anything else; so is a
	// body that is not a form.
	if err := a.origins.Check(&http.Request{Method: r.Method, Host: r.Host, Header: r.Header}); err != nil {
		return a.consoleError(http.StatusForbidden, "", "Cross-origin request refused.")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return a.consoleError(http.StatusUnsupportedMediaType, "", "Send the action as a form.")
	}
	staff, resp, ok := a.consoleAuth(ctx, r, action, orderID)
	if !ok {
		return resp
	}
	if !isConsoleAction(action) {
		return a.consoleError(http.StatusNotFound, staff, "No such action.")
	}
	if r.TooLarge {
		return a.consoleError(http.StatusRequestEntityTooLarge, staff, "The form is too large.")
	}
	values, err := url.ParseQuery(string(r.Body))
	if err != nil {
		return a.consoleError(http.StatusBadRequest, staff, "The form could not be read.")
	}
	if !a.csrfValid(staff, values.Get("csrf"), time.Now()) {
		return a.consoleError(http.StatusForbidden, staff, "The form has expired or was not made by this console. Go back, reload the page and try again.")
	}
	form, summary, ve := parseActionForm(action, values)
	if err := ve.Err(); err != nil {
		var msgs []string
		for _, f := range ve.Fields {
			msgs = append(msgs, f.Field+": "+f.Message)
		}
		return a.consoleError(http.StatusBadRequest, staff, "Not done: "+strings.Join(msgs, "; ")+".")
	}
	// Event and notification ids must be this order's: the Authorizer was
	// asked about this order, not another's.
	if form.id != "" {
		tl, err := a.svc.Timeline(ctx, orderID)
		if err != nil {
			f := classify(err)
			return a.consoleError(f.status, staff, consoleMessage(f))
		}
		if !ownsID(tl, action, form.id) {
			return a.consoleError(http.StatusNotFound, staff, "No such event or notification on this payment.")
		}
	}
	paymentURL := a.consoleBase() + "/payments/" + url.PathEscape(orderID)
	if values.Get("confirm") != "yes" {
		cp := confirmPage{page: page{Title: "Confirm", Base: a.consoleBase(), Staff: staff, Status: http.StatusOK}, OrderID: orderID,
			Action: action, Label: actionLabel(action), Summary: summary, CSRF: values.Get("csrf"), Cancel: paymentURL,
			Question: fmt.Sprintf("%s %s?", actionLabel(action), orderID)}
		for _, k := range []string{"amount", "reason", "refund_key", "event_id", "notification_id", "direct", "unconfirmed"} {
			if v := values.Get(k); v != "" {
				cp.Fields = append(cp.Fields, hiddenField{k, v})
			}
		}
		return a.render("confirm", http.StatusOK, cp)
	}
	ctx = payments.WithActor(ctx, staff)
	switch action {
	case payments.ActionRequeueEvent:
		err = a.svc.RequeueEvent(ctx, form.id)
	case payments.ActionReplayNotification:
		_, err = a.svc.ReplayNotification(ctx, form.id, payments.NotificationOptions{Unconfirmed: values.Get("unconfirmed") == "yes"})
	default:
		_, _, err = a.svc.Operate(ctx, orderID, payments.Op(action), form.req)
	}
	q := url.Values{}
	if err != nil {
		f := classify(err)
		if f.logged {
			a.log.Log(ctx, f.log, "adapters: console: "+action, "order_id", orderID, "error", err)
		}
		q.Set("failed", action)
		q.Set("code", f.code)
	} else {
		q.Set("done", action)
	}
	// Post/redirect/get: reloading the page does not post again.
	return Response{Status: http.StatusSeeOther, ContentType: "text/plain; charset=utf-8", Header: http.Header{"Location": {paymentURL + "?" + q.Encode()}}}
}

// parseActionForm reads an action's fields and says in words what it will do.
func parseActionForm(action string, v url.Values) (actionForm, []string, *payments.ValidationError) {
	f := actionForm{values: v}
	var ve payments.ValidationError
	var summary []string
	switch action {
	case payments.ActionRequeueEvent:
		f.id = v.Get("event_id")
		if f.id == "" || len(f.id) > 64 {
			ve.Add("event_id", "is required")
		}
		summary = append(summary, "Deliver hook event "+f.id+" again, with a fresh retry budget.")
		return f, summary, &ve
	case payments.ActionReplayNotification:
		f.id = v.Get("notification_id")
		if f.id == "" || len(f.id) > 64 {
			ve.Add("notification_id", "is required")
		}
		how := "confirmed with Midtrans first"
		if v.Get("unconfirmed") == "yes" {
			how = "with its own facts, not confirmed with Midtrans"
		}
		summary = append(summary, "Apply notification "+f.id+" again, "+how+".")
		return f, summary, &ve
	}
	info, _ := payments.Operation(action)
	if s := strings.TrimSpace(v.Get("amount")); s != "" && slices.Contains(info.Fields, "amount") {
		if !wholeRupiah.MatchString(s) {
			ve.Add("amount", "must be whole rupiah, e.g. 150000 or 150.000")
		} else if n, err := strconv.ParseInt(strings.ReplaceAll(s, ".", ""), 10, 64); err != nil || n <= 0 {
			ve.Add("amount", "must be more than 0")
		} else {
			f.req.Amount = payments.Amount(n)
		}
	}
	if slices.Contains(info.Fields, "reason") {
		f.req.Reason = strings.TrimSpace(v.Get("reason"))
		if f.req.Reason == "" {
			ve.Add("reason", "is required: say why, for the audit trail")
		} else if len(f.req.Reason) > 255 {
			ve.Add("reason", "must be at most 255 characters")
		}
		f.req.RefundKey = v.Get("refund_key")
		if f.req.RefundKey != "" && !payments.ValidRefundKey(f.req.RefundKey) {
			ve.Add("refund_key", "is not a refund key")
		}
	}
	switch {
	case action == string(payments.OpRefund) && f.req.Amount > 0:
		summary = append(summary, "Refund "+f.req.Amount.Rupiah()+" to the customer.")
	case action == string(payments.OpRefund):
		summary = append(summary, "Refund everything not refunded yet to the customer.")
	case action == string(payments.OpCapture) && f.req.Amount > 0:
		summary = append(summary, "Capture "+f.req.Amount.Rupiah()+" of the authorised amount.")
	case action == string(payments.OpCapture):
		summary = append(summary, "Capture the whole authorised amount.")
	default:
		summary = append(summary, opLabel(payments.Op(action))+" the payment through Midtrans.")
	}
	if f.req.Reason != "" {
		summary = append(summary, "Reason: "+f.req.Reason)
	}
	return f, summary, &ve
}

func ownsID(tl *payments.Timeline, action, id string) bool {
	if action == payments.ActionRequeueEvent {
		return slices.ContainsFunc(tl.Events, func(e *payments.OutboxEvent) bool { return e.ID == id })
	}
	return slices.ContainsFunc(tl.Notifications, func(n *payments.Notification) bool { return n.ID == id })
}

// csrfWindow is how long one token key lasts; a token of the previous
// window is accepted too.
const csrfWindow = 12 * time.Hour

func (a *API) csrfToken(staff string, now time.Time) string {
	return a.csrfAt(staff, now.Unix()/int64(csrfWindow/time.Second))
}

func (a *API) csrfAt(staff string, window int64) string {
	m := hmac.New(sha256.New, a.cons.key)
	m.Write([]byte(staff + "\x00" + strconv.FormatInt(window, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfValid reports whether token is one csrfToken made for staff in this
// window or the previous one.
func (a *API) csrfValid(staff, token string, now time.Time) bool {
	w := now.Unix() / int64(csrfWindow/time.Second)
	for _, win := range []int64{w, w - 1} {
		if hmac.Equal([]byte(token), []byte(a.csrfAt(staff, win))) {
			return true
		}
	}
	return false
}

// newRefundKey is a fresh refund key for one refund form.
func newRefundKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "console-" + hex.EncodeToString(b)
}

// when formats a time in Jakarta's time, or "-".
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(jakarta).Format("2006-01-02 15:04:05 WIB")
}

// prettyJSON is a payload with its secrets masked (midtrans.MaskPayload),
// indented.
func prettyJSON(raw json.RawMessage) string {
	masked := midtrans.MaskPayload(raw)
	if len(masked) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, masked, "", "  "); err != nil {
		return string(masked)
	}
	return buf.String()
}
