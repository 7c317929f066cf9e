package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/store"
)

func (c *cli) migrate(args []string) error {
	var cfg config
	fs := c.newFlags(commandNamed("migrate"), &cfg, true, false)
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	db, err := c.openDB(&cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := store.Migrate(c.ctx, db); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "migrated")
	return nil
}

func commandNamed(name string) command {
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd
		}
	}
	panic("nusapay: no command " + name)
}

// operationCommands are one command per row of payments.Operations(),
// each run through Service.Operate with the request fields its row reads.
func operationCommands() []command {
	var out []command
	for _, op := range payments.Operations() {
		out = append(out, command{
			name: string(op.Name), args: "ORDER_ID",
			summary: fmt.Sprintf("%s the payment through Midtrans (allowed when %s)", op.Name, op.When),
			run:     func(c *cli, args []string) error { return c.operate(op, args) },
		})
	}
	return out
}

func (c *cli) operate(op payments.OperationInfo, args []string) error {
	var cfg config
	fs := c.newFlags(commandNamed(string(op.Name)), &cfg, true, true)
	var amount, reason, key string
	var direct bool
	for _, f := range op.Fields {
		switch f {
		case "amount":
			fs.StringVar(&amount, "amount", "", "the amount in rupiah (refund: default everything still refundable)")
		case "reason":
			fs.StringVar(&reason, "reason", "", "the reason, shown to the customer by some channels")
		case "refund_key":
			fs.StringVar(&key, "key", "", "the refund key, making a retried refund idempotent (default derived)")
		case "direct":
			fs.BoolVar(&direct, "direct", false, "use Midtrans' legacy synchronous (direct) refund")
		}
	}
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	req := payments.OperationRequest{Reason: reason, RefundKey: key, Direct: direct}
	if amount != "" {
		if req.Amount, err = payments.ParseAmount(amount); err != nil {
			return usagef("-amount: %v", err)
		}
	}
	svc, db, err := c.service(&cfg, true)
	if err != nil {
		return err
	}
	defer db.Close()
	p, r, err := svc.Operate(c.ctx, pos[0], op.Name, req)
	if r != nil {
		fmt.Fprintf(c.stdout, "refund %s: %s Rp %s (%s)\n", r.Key, r.Status, r.Amount, r.Message)
	}
	if p != nil {
		c.paymentLine(p)
	}
	return err // the Service's errors name the operation and the order
}

func (c *cli) paymentLine(p *payments.Payment) {
	fmt.Fprintf(c.stdout, "%s: %s (%s), Rp %s, refunded Rp %s\n", p.OrderID, p.Status, p.Outcome(), p.Amount, p.RefundedAmount)
}

func (c *cli) paymentShow(args []string) error {
	var cfg config
	fs := c.newFlags(commandNamed("payment show"), &cfg, true, false)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	svc, db, err := c.service(&cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	tl, err := svc.Timeline(c.ctx, pos[0])
	if err != nil {
		return fmt.Errorf("payment %s: %w", pos[0], err)
	}
	if *asJSON {
		return writeJSON(c.stdout, timelineView(tl))
	}
	writeTimeline(c.stdout, tl)
	return nil
}

// The JSON views: snake_case names, raw payloads with signature_key masked.
type auditView struct {
	ID        int64           `json:"id"`
	Source    payments.Source `json:"source"`
	Actor     string          `json:"actor,omitempty"`
	From      payments.State  `json:"from"`
	To        payments.State  `json:"to"`
	Decision  string          `json:"decision"`
	Reason    payments.Reason `json:"reason"`
	Payload   json.RawMessage `json:"payload,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

type notificationView struct {
	ID             string                     `json:"id"`
	TransactionID  string                     `json:"transaction_id,omitempty"`
	Status         string                     `json:"transaction_status"`
	SignatureValid bool                       `json:"signature_valid"`
	State          payments.NotificationState `json:"state"`
	Detail         string                     `json:"detail,omitempty"`
	Body           json.RawMessage            `json:"body,omitempty"`
	ReceivedAt     time.Time                  `json:"received_at"`
	ProcessedAt    time.Time                  `json:"processed_at,omitzero"`
}

type refundView struct {
	ID         string                `json:"id"`
	Key        string                `json:"refund_key"`
	Amount     payments.Amount       `json:"amount"`
	Reason     string                `json:"reason,omitempty"`
	Direct     bool                  `json:"direct,omitempty"`
	Status     payments.RefundStatus `json:"status"`
	StatusCode string                `json:"status_code,omitempty"`
	Message    string                `json:"message,omitempty"`
	Response   json.RawMessage       `json:"response,omitempty"`
	CreatedAt  time.Time             `json:"created_at"`
	UpdatedAt  time.Time             `json:"updated_at"`
}

type eventView struct {
	ID            string          `json:"id"`
	Signal        payments.Signal `json:"signal"`
	State         string          `json:"state"`
	Attempts      int             `json:"attempts"`
	NextAttemptAt time.Time       `json:"next_attempt_at,omitzero"`
	DeliveredAt   time.Time       `json:"delivered_at,omitzero"`
	LastError     string          `json:"last_error,omitempty"`
	Payload       json.RawMessage `json:"payload,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
}

type timelineJSON struct {
	Payment       *payments.Payment  `json:"payment"`
	Audit         []auditView        `json:"audit"`
	Notifications []notificationView `json:"notifications"`
	Refunds       []refundView       `json:"refunds"`
	Events        []eventView        `json:"events"`
	Actions       []actionView       `json:"staff_actions"`
}

type actionView struct {
	ID         int64                 `json:"id"`
	Actor      string                `json:"actor"`
	Action     string                `json:"action"`
	Detail     json.RawMessage       `json:"detail,omitempty"`
	Result     payments.ActionResult `json:"result"`
	Message    string                `json:"message,omitempty"`
	CreatedAt  time.Time             `json:"created_at"`
	FinishedAt time.Time             `json:"finished_at,omitzero"`
}

func timelineView(tl *payments.Timeline) timelineJSON {
	p := *tl.Payment
	p.ChargeResponse = mask(p.ChargeResponse)
	v := timelineJSON{Payment: &p, Audit: []auditView{}, Notifications: []notificationView{}, Refunds: []refundView{}, Events: []eventView{}, Actions: []actionView{}}
	for _, a := range tl.Audit {
		v.Audit = append(v.Audit, auditView{ID: a.ID, Source: a.Source, Actor: a.Actor, From: a.From, To: a.To, Decision: a.Decision.String(),
			Reason: a.Reason, Payload: mask(a.Payload), CreatedAt: a.CreatedAt})
	}
	for _, n := range tl.Notifications {
		v.Notifications = append(v.Notifications, notificationView{ID: n.ID, TransactionID: n.TransactionID, Status: n.Status,
			SignatureValid: n.SignatureValid, State: n.State, Detail: n.Detail, Body: mask(n.Body),
			ReceivedAt: n.ReceivedAt, ProcessedAt: n.ProcessedAt})
	}
	for _, r := range tl.Refunds {
		v.Refunds = append(v.Refunds, refundView{ID: r.ID, Key: r.Key, Amount: r.Amount, Reason: r.Reason, Direct: r.Direct,
			Status: r.Status, StatusCode: r.StatusCode, Message: r.Message, Response: mask(r.Response),
			CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
	}
	for _, e := range tl.Events {
		v.Events = append(v.Events, eventView{ID: e.ID, Signal: e.Signal, State: e.DeliveryState(), Attempts: e.Attempts,
			NextAttemptAt: e.NextAttemptAt, DeliveredAt: e.DeliveredAt, LastError: e.LastError, Payload: mask(e.Payload),
			CreatedAt: e.CreatedAt})
	}
	for _, a := range tl.Actions {
		v.Actions = append(v.Actions, actionView{ID: a.ID, Actor: a.Actor, Action: a.Action, Detail: a.Detail, Result: a.Result,
			Message: a.Message, CreatedAt: a.CreatedAt, FinishedAt: a.FinishedAt})
	}
	return v
}

// mask hides a payload's secrets (midtrans.MaskPayload).
func mask(raw json.RawMessage) json.RawMessage { return midtrans.MaskPayload(raw) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeTimeline prints tl for people; payloads are left to -json.
func writeTimeline(w io.Writer, tl *payments.Timeline) {
	p := tl.Payment
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Payment %s\n", p.OrderID)
	fmt.Fprintf(tw, "  id\t%s\n  account\t%s\n  method\t%s (payment type %s)\n", p.ID, p.Account, p.Method, dash(p.PaymentType))
	fmt.Fprintf(tw, "  amount\tRp %s, refunded Rp %s\n", p.Amount, p.RefundedAmount)
	fmt.Fprintf(tw, "  status\t%s, outcome %s, fraud %s\n", p.Status, p.Outcome(), dash(string(p.FraudStatus)))
	fmt.Fprintf(tw, "  midtrans\ttransaction %s, %s\n", dash(p.TransactionID), dash(p.StatusMessage))
	if p.Customer != nil && p.Customer.Email != "" {
		fmt.Fprintf(tw, "  customer\t%s\n", p.Customer.Email)
	}
	fmt.Fprintf(tw, "  created\t%s\n  updated\t%s\n  paid\t%s\n  expires\t%s\n", ts(p.CreatedAt), ts(p.UpdatedAt), ts(p.PaidAt), ts(p.ExpiresAt))
	tw.Flush()

	fmt.Fprintf(w, "\nAudit (%d)\n", len(tl.Audit))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(tl.Audit) > 0 {
		fmt.Fprintln(tw, "  TIME\tSOURCE\tACTOR\tFROM\tTO\tDECISION\tREASON")
	}
	for _, a := range tl.Audit {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", ts(a.CreatedAt), a.Source, dash(a.Actor), a.From, a.To, a.Decision, a.Reason)
	}
	tw.Flush()

	fmt.Fprintf(w, "\nNotifications (%d)\n", len(tl.Notifications))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(tl.Notifications) > 0 {
		fmt.Fprintln(tw, "  RECEIVED\tID\tSTATUS\tSIGNED\tSTATE\tDETAIL")
	}
	for _, n := range tl.Notifications {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%t\t%s\t%s\n", ts(n.ReceivedAt), n.ID, dash(n.Status), n.SignatureValid, n.State, dash(n.Detail))
	}
	tw.Flush()

	fmt.Fprintf(w, "\nRefunds (%d)\n", len(tl.Refunds))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(tl.Refunds) > 0 {
		fmt.Fprintln(tw, "  CREATED\tKEY\tAMOUNT\tSTATUS\tMESSAGE")
	}
	for _, r := range tl.Refunds {
		fmt.Fprintf(tw, "  %s\t%s\tRp %s\t%s\t%s\n", ts(r.CreatedAt), r.Key, r.Amount, r.Status, dash(r.Message))
	}
	tw.Flush()

	fmt.Fprintf(w, "\nHook events (%d)\n", len(tl.Events))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(tl.Events) > 0 {
		fmt.Fprintln(tw, "  CREATED\tID\tSIGNAL\tSTATE\tATTEMPTS\tLAST ERROR")
	}
	for _, e := range tl.Events {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%s\n", ts(e.CreatedAt), e.ID, e.Signal, e.DeliveryState(), e.Attempts, dash(e.LastError))
	}
	tw.Flush()

	fmt.Fprintf(w, "\nStaff actions (%d)\n", len(tl.Actions))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(tl.Actions) > 0 {
		fmt.Fprintln(tw, "  TIME\tACTOR\tACTION\tDETAIL\tRESULT\tMESSAGE")
	}
	for _, a := range tl.Actions {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", ts(a.CreatedAt), dash(a.Actor), a.Action, dash(string(a.Detail)), a.Result, dash(a.Message))
	}
	tw.Flush()
}

// listFlag is a comma-separated list flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// timeFlag accepts RFC 3339 or a date (midnight UTC).
type timeFlag struct{ t time.Time }

func (f *timeFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(s string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			f.t = t
			return nil
		}
	}
	return errors.New("want RFC 3339 (2026-01-02T15:04:05Z) or a date (2026-01-02)")
}

func (c *cli) paymentList(args []string) error {
	var cfg config
	fs := c.newFlags(commandNamed("payment list"), &cfg, true, false)
	var statuses, outcomes, methodNames listFlag
	var since, until timeFlag
	fs.Var(&statuses, "status", "transaction statuses, comma-separated (settlement,pending,…)")
	fs.Var(&outcomes, "outcome", "outcomes, comma-separated (paid,pending,failed,refunded,…)")
	fs.Var(&methodNames, "method", "method names, comma-separated (bca_va,gopay,…)")
	email := fs.String("email", "", "the customer's email, ignoring case")
	prefix := fs.String("prefix", "", "order ids starting with this")
	fs.Var(&since, "since", "created at or after (RFC 3339 or a date)")
	fs.Var(&until, "until", "created before (RFC 3339 or a date)")
	limit := fs.Int("limit", payments.DefaultPageSize, fmt.Sprintf("page size, at most %d", payments.MaxPageSize))
	after := fs.String("after", "", "the cursor printed as next by the previous page")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	q := payments.PaymentQuery{Methods: methodNames, CustomerEmail: *email, OrderIDPrefix: *prefix,
		CreatedFrom: since.t, CreatedTo: until.t, Limit: *limit, After: *after}
	for _, s := range statuses {
		q.Statuses = append(q.Statuses, payments.Status(s))
	}
	for _, o := range outcomes {
		q.Outcomes = append(q.Outcomes, payments.Outcome(o))
	}
	if err := q.Validate(); err != nil {
		return usagef("%v", err)
	}
	svc, db, err := c.service(&cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	page, err := svc.ListPayments(c.ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		ps := page.Payments
		if ps == nil {
			ps = []*payments.Payment{}
		}
		for i, p := range ps {
			cp := *p
			cp.ChargeResponse = mask(cp.ChargeResponse)
			ps[i] = &cp
		}
		return writeJSON(c.stdout, struct {
			Payments []*payments.Payment `json:"payments"`
			Next     string              `json:"next,omitempty"`
		}{ps, page.Next})
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tORDER ID\tMETHOD\tAMOUNT\tSTATUS\tOUTCOME\tEMAIL")
	for _, p := range page.Payments {
		email := "-"
		if p.Customer != nil && p.Customer.Email != "" {
			email = p.Customer.Email
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\tRp %s\t%s\t%s\t%s\n", ts(p.CreatedAt), p.OrderID, p.Method, p.Amount, p.Status, p.Outcome(), email)
	}
	tw.Flush()
	if page.Next != "" {
		fmt.Fprintf(c.stdout, "next: %s\n", page.Next)
	} else {
		fmt.Fprintf(c.stdout, "(%d payments, last page)\n", len(page.Payments))
	}
	return nil
}

func (c *cli) eventsRequeue(args []string) error {
	var cfg config
	fs := c.newFlags(commandNamed("events requeue"), &cfg, true, false)
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	svc, db, err := c.service(&cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := svc.RequeueEvent(c.ctx, pos[0]); err != nil {
		return fmt.Errorf("requeue event %s: %w", pos[0], err)
	}
	fmt.Fprintf(c.stdout, "event %s requeued: a running Service delivers it next\n", pos[0])
	return nil
}

func (c *cli) notificationsReplay(args []string) error {
	var cfg config
	fs := c.newFlags(commandNamed("notifications replay"), &cfg, true, true)
	unconfirmed := fs.Bool("unconfirmed", false, "apply the stored body's own facts instead of asking Midtrans for the status")
	pos, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	svc, db, err := c.service(&cfg, !*unconfirmed)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := svc.ReplayNotification(c.ctx, pos[0], payments.NotificationOptions{Unconfirmed: *unconfirmed})
	if err != nil {
		return err
	}
	verdict := "-"
	if res.Verdict.Decision != 0 {
		verdict = res.Verdict.Decision.String() + " (" + string(res.Verdict.Reason) + ")"
	}
	fmt.Fprintf(c.stdout, "notification %s: %s, duplicate %t, verdict %s, %s\n",
		pos[0], res.State, res.Duplicate, verdict, dash(res.Detail))
	return nil
}
