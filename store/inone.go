package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
)

// A change in one statement (PostgreSQL).
//
// On PostgreSQL, with the store on its own *bun.DB, Apply and
// ApplyNotification read the payment without a lock, plan the change
// against it, and write the whole plan in one autocommit call of
// nusapay_write_change (migration 20261202000012_write_change): first the
// compare-and-set (an UPDATE of the payment by its primary key and the
// version read, or, when the plan leaves the row as it is, a SELECT … FOR
// UPDATE of that version), and only if it holds the inbox row, the audit
// row and the outbox rows. A lost compare-and-set writes nothing and the
// change is planned again; after maxCAS lost races the locked transaction
// decides it. Two round trips where a transaction takes six; the call is
// atomic on its own, and its statements' plans are cached in the session.
//
// For a notification, the function first refuses to touch the payment
// once a finished copy of the notification is stored, and reports the
// copy: a duplicate writes nothing. A finished copy committed after that
// check (by a replica whose report, asked of Midtrans a moment earlier,
// left the payment as it was) cannot stop a change already made: the
// change, confirmed by its own report, is written with its audit row and
// events, and the inbox keeps the other copy's row. A plan that changes
// nothing is then a duplicate, and writes nothing.

// errNeedTx sends a plan the one statement does not write (refunds to
// record, a column nusapay_write_change does not set, an event not new) to
// the locked transaction.
var errNeedTx = errors.New("store: plan needs a transaction")

// inOne reports whether changes are written by one function call.
func (s *Store) inOne() bool {
	_, ok := s.db.(*bun.DB)
	return ok && s.sql.writableCTE
}

// applyInOne plans c against prev, or the payment as read when prev is
// nil, and writes the plan in one statement; errLostRace when the payment
// changed meanwhile.
func (s *Store) applyInOne(ctx context.Context, prev *payments.Payment, c *payments.Change) (*payments.ApplyResult, error) {
	if prev == nil {
		var err error
		if prev, err = s.paymentWhere(ctx, s.db, "p.order_id = ?", c.OrderID, false); err != nil {
			return nil, err
		}
	}
	plan := payments.Plan(prev, c, s.clock())
	res, _, err := s.writeInOne(ctx, prev, &plan, nil)
	return res, err
}

// applyNotificationInOne is applyInOne for a notification, recorded as n
// in the same statement. recorded is false when a finished copy is stored.
func (s *Store) applyNotificationInOne(ctx context.Context, prev *payments.Payment, n *payments.Notification, change func(*payments.Payment) *payments.Change) (*payments.ApplyResult, bool, error) {
	if prev == nil {
		var err error
		if prev, err = s.paymentWhere(ctx, s.db, "p.order_id = ?", n.OrderID, false); err != nil {
			return nil, false, err
		}
	}
	c := change(prev)
	if err := c.Validate(); err != nil {
		return nil, false, err
	}
	plan := payments.Plan(prev, c, s.clock())
	n.State, n.Detail = payments.NotificationOutcome(plan.Verdict)
	n.ProcessedAt = plan.Audit.CreatedAt
	return s.writeInOne(ctx, prev, &plan, n)
}

// writeInOne writes plan, made against prev, and n unless nil, in one
// statement (see the comment at the top of this file).
func (s *Store) writeInOne(ctx context.Context, prev *payments.Payment, plan *payments.ChangePlan, n *payments.Notification) (*payments.ApplyResult, bool, error) {
	if len(plan.Refunds) > 0 {
		return nil, false, errNeedTx
	}
	rows, err := outboxRows(plan.Events, plan.Audit.CreatedAt)
	if err != nil {
		return nil, false, err
	}
	query, err := s.writeChangeCall(prev, plan, rows, n)
	if err != nil {
		return nil, false, err
	}
	out, err := s.call(ctx, query)
	if plan.Next != nil {
		err = transactionIDConflict(err, plan.Next)
	}
	switch {
	case err != nil:
		return nil, false, err
	case !out.written && out.duplicate:
		return nil, false, nil
	case !out.written:
		return nil, false, errLostRace
	}
	if out.recorded != "" {
		n.ID = out.recorded
	}
	if err := setSeqs(rows, out.seqs); err != nil {
		return nil, false, err
	}
	events := make([]*payments.OutboxEvent, len(rows))
	for i := range rows {
		events[i] = rows[i].event()
	}
	return plan.Result(prev, events), true, nil
}

// writeChangeCall is the call of nusapay_write_change that writes plan,
// made against prev, with its outbox rows and the notification n (nil:
// none).
func (s *Store) writeChangeCall(prev *payments.Payment, plan *payments.ChangePlan, rows []outboxRow, n *payments.Notification) (string, error) {
	c := newCall(s.db.Dialect(), "nusapay_write_change", 56)
	c.strs(finishedStates())
	c.str(prev.Account)
	c.str(prev.ID)
	c.int(prev.Version)
	if plan.Next == nil {
		c.null()
		for range 18 {
			c.null()
		}
	} else {
		cols := changedColumns(prev, plan.Next)
		for _, col := range cols {
			if !writesColumn(col) {
				return "", errNeedTx // a column the function does not set: never dropped
			}
		}
		row, err := rowForUpdate(plan.Next, slices.Contains(cols, "instructions"))
		if err != nil {
			return "", err
		}
		c.strs(cols)
		for rest := writeChangeColumns; rest != ""; {
			var col string
			col, rest, _ = strings.Cut(rest, ", ")
			if !slices.Contains(cols, col) { // unchanged: not sent
				c.null()
			} else {
				row.put(col, c)
			}
		}
	}
	if n == nil {
		for range 11 {
			c.null()
		}
	} else {
		c.str(n.DedupKey)
		c.str(n.ID)
		c.str(n.OrderID)
		c.str(n.TransactionID)
		c.str(n.Status)
		c.boolean(n.SignatureValid)
		c.str(string(n.State))
		c.str(n.Detail)
		c.str(string(n.Body))
		c.at(n.ReceivedAt)
		c.at(n.ProcessedAt)
	}
	if err := appendChange(c, &plan.Audit, rows); err != nil {
		return "", err
	}
	return c.text()
}

// appendChange writes nusapay_append_change's arguments for an audit entry
// and its outbox rows, which must be new and due when the entry was made;
// errNeedTx for others.
func appendChange(c *callText, audit *payments.AuditEntry, rows []outboxRow) error {
	at := audit.CreatedAt
	for i := range rows {
		r := &rows[i]
		if r.Attempts != 0 || r.Dead || r.LastError != "" || !r.NextAttemptAt.Equal(at) || !r.CreatedAt.Equal(at) {
			return errNeedTx
		}
	}
	putAudit(c, audit)
	field := func(get func(r *outboxRow) string) {
		list := make([]string, len(rows))
		for i := range rows {
			list[i] = get(&rows[i])
		}
		c.strs(list)
	}
	field(func(r *outboxRow) string { return r.EventID })
	field(func(r *outboxRow) string { return r.Account })
	field(func(r *outboxRow) string { return r.PaymentID })
	field(func(r *outboxRow) string { return r.OrderID })
	field(func(r *outboxRow) string { return r.Topic })
	field(func(r *outboxRow) string { return r.Payload })
	c.at(at)
	return nil
}

// writesColumn reports whether nusapay_write_change sets col.
func writesColumn(col string) bool {
	return strings.Contains(", "+writeChangeColumns+", ", ", "+col+", ")
}

// writeChangeColumns are the payment columns nusapay_write_change takes,
// in its parameters' order: what changedColumns may name, and version and
// updated_at.
const writeChangeColumns = "transaction_id, amount, payment_type, status, fraud_status, status_message, instructions, " +
	"expires_at, paid_at, refunded_amount, charge_response, transaction_time, settlement_time, custom_field1, " +
	"custom_field2, custom_field3, version, updated_at"

// callResult is what a function of 20261202000012_write_change returned.
type callResult struct {
	written   bool             // ('u'): the payment was written
	duplicate bool             // ('f'): a finished copy of the notification is stored
	recorded  string           // ('n', id): the notification's inbox row
	seqs      map[string]int64 // ('e', event id, seq): the outbox rows
}

// callRow is a row one of those functions returns.
type callRow struct {
	Kind string         `bun:"kind"`
	Ref  sql.NullString `bun:"ref"`
	Seq  sql.NullInt64  `bun:"seq"`
}

// add takes r into the result.
func (out *callResult) add(r *callRow) {
	switch r.Kind {
	case "u":
		out.written = true
	case "f":
		out.duplicate = true
	case "n":
		out.recorded = r.Ref.String
	case "e":
		out.seqs[r.Ref.String] = r.Seq.Int64
	}
}

// call runs one of those functions: query, a callText's. A DB with query
// hooks gets Bun's scan, so that a hook sees an error the function raises
// (it comes with the rows, after the query is sent); without hooks the
// rows are read from database/sql directly, without Bun's model of them.
// The text goes whole, never formatted: a host's named arguments
// (bun.WithNamedArg) would otherwise rewrite a ? in the values. Never sent
// again on a dead connection (see againOnDeadConn): it may have committed.
func (s *Store) call(ctx context.Context, query string) (callResult, error) {
	out := callResult{seqs: make(map[string]int64, 4)}
	err := s.write(ctx, func(ctx context.Context) error {
		if db, ok := s.db.(*bun.DB); ok && !queryHooked(db) {
			return out.read(db.DB.QueryContext(ctx, query))
		}
		rows := make([]callRow, 0, 8) // a change returns 2 to 5 rows: no growing
		if err := s.db.NewRaw("?", bun.Safe(query)).Scan(ctx, &rows); err != nil {
			return err
		}
		for i := range rows {
			out.add(&rows[i])
		}
		return nil
	})
	return out, err
}

// read takes rows, a call's, into the result and closes them.
func (out *callResult) read(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	var r callRow
	for rows.Next() {
		if err := rows.Scan(&r.Kind, &r.Ref, &r.Seq); err != nil {
			return err
		}
		out.add(&r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}
