package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nusapay/payments/internal/uid"
	"github.com/nusapay/payments/midtrans"
)

// baseline does the durable work of the webhook and of a charge in plain
// SQL on the module's own tables, with no framework: what a careful
// hand-written integration would do, to measure the module against.
type baseline struct {
	db        *sql.DB
	pg        bool
	serverKey string
	client    *midtrans.Client
	account   string

	insInbox, selPay, updPay, insAudit, insOutbox string
	insCharge, updCharge                          string
}

func newBaseline(db *sql.DB, pg bool, serverKey string, client *midtrans.Client) *baseline {
	b := &baseline{db: db, pg: pg, serverKey: serverKey, client: client, account: "default"}
	forUpdate := ""
	if pg {
		forUpdate = " FOR UPDATE" // SQLite's BEGIN IMMEDIATE already holds the write lock
	}
	b.insInbox = b.sql(`INSERT INTO nusapay_inbox (id, account, dedup_key, order_id, transaction_id, status, signature_valid,
		state, detail, body, received_at, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'processed', '', ?, ?, ?) ON CONFLICT DO NOTHING`)
	b.selPay = b.sql(`SELECT id, status, version, amount, method, instructions, charge_response, created_at FROM nusapay_payments
		WHERE account = ? AND order_id = ?` + forUpdate)
	b.updPay = b.sql(`UPDATE nusapay_payments SET status = ?, fraud_status = ?, transaction_id = ?, paid_at = ?,
		version = version + 1, updated_at = ? WHERE id = ? AND version = ?`)
	b.insAudit = b.sql(`INSERT INTO nusapay_payment_events (payment_id, account, order_id, source, from_status, to_status,
		decision, reason, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, 'applied', 'transition', ?, ?)`)
	b.insOutbox = b.sql(`INSERT INTO nusapay_outbox (event_id, account, payment_id, order_id, topic, payload, next_attempt_at,
		created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	b.insCharge = b.sql(`INSERT INTO nusapay_payments (id, account, order_id, method, payment_type, amount, currency, status,
		instructions, version, created_at, updated_at) VALUES (?, ?, ?, 'bca_va', 'bank_transfer', ?, 'IDR', 'initiated', '{}', 1, ?, ?)`)
	b.updCharge = b.sql(`UPDATE nusapay_payments SET status = ?, transaction_id = ?, instructions = ?, charge_response = ?,
		version = version + 1, updated_at = ? WHERE id = ? AND version = 1`)
	return b
}

// sql rewrites ? placeholders as $1, $2 … for PostgreSQL.
func (b *baseline) sql(q string) string {
	if !b.pg {
		return q
	}
	var sb strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			sb.WriteString("$" + strconv.Itoa(n))
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// ts is a time as each database's column takes it: timestamptz on
// PostgreSQL, text on SQLite (the store's own format).
func (b *baseline) ts(t time.Time) any {
	if b.pg {
		return t
	}
	return t.UTC().Format("2006-01-02 15:04:05.999999-07:00")
}

func (b *baseline) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /notifications", b.notification)
	mux.HandleFunc("POST /charges", b.charge)
	return mux
}

type baselineNotification struct {
	OrderID           string `json:"order_id"`
	TransactionID     string `json:"transaction_id"`
	StatusCode        string `json:"status_code"`
	GrossAmount       string `json:"gross_amount"`
	SignatureKey      string `json:"signature_key"`
	TransactionStatus string `json:"transaction_status"`
	FraudStatus       string `json:"fraud_status"`
}

func answer(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

// notification verifies a notification and applies it in one transaction:
// inbox insert (a duplicate stops there), payment row locked, status
// compare-and-set, audit row, the paid and status-changed outbox rows.
func (b *baseline) notification(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		answer(w, http.StatusBadRequest, `{"status":"rejected"}`)
		return
	}
	var n baselineNotification
	if err := json.Unmarshal(body, &n); err != nil || n.OrderID == "" {
		answer(w, http.StatusBadRequest, `{"status":"rejected"}`)
		return
	}
	if !midtrans.VerifySignature(n.OrderID, n.StatusCode, n.GrossAmount, n.SignatureKey, b.serverKey) {
		answer(w, http.StatusUnauthorized, `{"status":"rejected"}`)
		return
	}
	dup, err := b.apply(r.Context(), &n, body)
	switch {
	case err != nil:
		answer(w, http.StatusServiceUnavailable, `{"status":"retry"}`)
	case dup:
		answer(w, http.StatusOK, `{"status":"duplicate"}`)
	default:
		answer(w, http.StatusOK, `{"status":"processed"}`)
	}
}

func (b *baseline) apply(ctx context.Context, n *baselineNotification, body []byte) (duplicate bool, err error) {
	h := sha256.Sum256([]byte(n.OrderID + "\x00" + n.TransactionID + "\x00" + n.TransactionStatus + "\x00" +
		n.FraudStatus + "\x00" + n.StatusCode + "\x00" + n.GrossAmount))
	key := hex.EncodeToString(h[:])
	now := time.Now()
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil || duplicate {
			_ = tx.Rollback()
		}
	}()
	res, err := tx.ExecContext(ctx, b.insInbox, uid.New(), b.account, key, n.OrderID, n.TransactionID, n.TransactionStatus,
		true, string(body), b.ts(now), b.ts(now))
	if err != nil {
		return false, fmt.Errorf("inbox: %w", err)
	}
	if k, err := res.RowsAffected(); err != nil || k == 0 {
		return true, err
	}
	var id, status, method, instructions string
	var version, amount int64
	var chargeResponse sql.NullString
	var createdAt time.Time
	if err := tx.QueryRowContext(ctx, b.selPay, b.account, n.OrderID).Scan(&id, &status, &version, &amount, &method, &instructions,
		&chargeResponse, b.scanTime(&createdAt)); err != nil {
		return false, fmt.Errorf("payment %s: %w", n.OrderID, err)
	}
	if gross := strings.TrimSuffix(n.GrossAmount, ".00"); gross != strconv.FormatInt(amount, 10) {
		return false, fmt.Errorf("payment %s: amount %s, notified %s", n.OrderID, strconv.FormatInt(amount, 10), n.GrossAmount)
	}
	if status != n.TransactionStatus {
		res, err := tx.ExecContext(ctx, b.updPay, n.TransactionStatus, n.FraudStatus, n.TransactionID, b.ts(now), b.ts(now), id, version)
		if err != nil {
			return false, fmt.Errorf("update %s: %w", n.OrderID, err)
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return false, errors.Join(fmt.Errorf("update %s: lost the compare-and-set", n.OrderID), err)
		}
		p := &baselinePayment{ID: id, OrderID: n.OrderID, TransactionID: n.TransactionID, Method: method, Amount: amount,
			Currency: "IDR", Status: n.TransactionStatus, FraudStatus: n.FraudStatus, PaidAt: &now, Version: version + 1,
			CreatedAt: createdAt, UpdatedAt: now, Instructions: json.RawMessage(instructions)}
		if chargeResponse.Valid {
			p.ChargeResponse = json.RawMessage(chargeResponse.String)
		}
		if err := b.record(ctx, tx, p, "notification", status, string(body), now, "paid", "status_changed"); err != nil {
			return false, err
		}
	}
	return false, tx.Commit()
}

type baselineCharge struct {
	OrderRef string `json:"order_ref"`
}

// charge writes the payment row, charges a BCA virtual account through the
// Midtrans client, and writes the answer: two durable writes around one
// call.
func (b *baseline) charge(w http.ResponseWriter, r *http.Request) {
	var req baselineCharge
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<10)).Decode(&req); err != nil || req.OrderRef == "" {
		answer(w, http.StatusBadRequest, `{"error":"bad request"}`)
		return
	}
	ctx := r.Context()
	id, now := uid.New(), time.Now()
	const amount = 50000
	p := &baselinePayment{ID: id, OrderID: req.OrderRef, Method: "bca_va", Amount: amount, Currency: "IDR", Status: "initiated",
		Version: 1, CreatedAt: now, UpdatedAt: now, Instructions: json.RawMessage(`{}`)}
	if err := b.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, b.insCharge, id, b.account, req.OrderRef, amount, b.ts(now), b.ts(now)); err != nil {
			return err
		}
		return b.record(ctx, tx, p, "charge", "", "", now, "created")
	}); err != nil {
		answer(w, http.StatusInternalServerError, `{"error":"internal"}`)
		return
	}
	resp, err := b.client.Charge(ctx, &midtrans.ChargeRequest{PaymentType: "bank_transfer",
		TransactionDetails: midtrans.TransactionDetails{OrderID: req.OrderRef, GrossAmount: amount},
		BankTransfer:       &midtrans.BankTransfer{Bank: "bca"}}, midtrans.WithIdempotencyKey(id))
	if err != nil {
		answer(w, http.StatusBadGateway, `{"error":"charge failed"}`)
		return
	}
	va := ""
	if len(resp.VANumbers) > 0 {
		va = resp.VANumbers[0].VANumber
	}
	instr := `{"va_number":` + strconv.Quote(va) + `,"bank":"bca"}`
	now = time.Now()
	p.TransactionID, p.Status, p.Version, p.UpdatedAt = resp.TransactionID, resp.TransactionStatus, 2, now
	p.Instructions, p.ChargeResponse = json.RawMessage(instr), resp.Raw
	if err := b.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, b.updCharge, resp.TransactionStatus, resp.TransactionID, instr, string(resp.Raw), b.ts(now), id)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return errors.Join(errors.New("lost the compare-and-set"), err)
		}
		return b.record(ctx, tx, p, "charge", "initiated", string(resp.Raw), now, resp.TransactionStatus, "status_changed")
	}); err != nil {
		answer(w, http.StatusInternalServerError, `{"error":"internal"}`)
		return
	}
	answer(w, http.StatusCreated, `{"order_id":`+strconv.Quote(req.OrderRef)+`,"status":`+strconv.Quote(resp.TransactionStatus)+
		`,"va_number":`+strconv.Quote(va)+`}`)
}

// baselinePayment is the payment a baseline event carries, as a
// hand-written integration would publish it for a receiver to fulfil the
// order from: the module's events carry theirs.
type baselinePayment struct {
	ID             string          `json:"id"`
	OrderID        string          `json:"order_id"`
	TransactionID  string          `json:"transaction_id,omitempty"`
	Method         string          `json:"method"`
	Amount         int64           `json:"gross_amount"`
	Currency       string          `json:"currency"`
	Status         string          `json:"transaction_status"`
	FraudStatus    string          `json:"fraud_status,omitempty"`
	Instructions   json.RawMessage `json:"instructions,omitempty"`
	PaidAt         *time.Time      `json:"paid_at,omitempty"`
	Version        int64           `json:"version"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	ChargeResponse json.RawMessage `json:"charge_response,omitempty"`
}

// record writes what a change of p from the status from leaves besides
// the row: its audit row (with payload, "" for none) and one outbox event
// per topic, each carrying p. The same durable work as the module's.
func (b *baseline) record(ctx context.Context, tx *sql.Tx, p *baselinePayment, source, from, payload string, now time.Time, topics ...string) error {
	var audit any
	if payload != "" {
		audit = payload
	}
	if _, err := tx.ExecContext(ctx, b.insAudit, p.ID, b.account, p.OrderID, source, from, p.Status, audit, b.ts(now)); err != nil {
		return fmt.Errorf("audit %s: %w", p.OrderID, err)
	}
	pj, err := json.Marshal(p)
	if err != nil {
		return err
	}
	for _, topic := range topics {
		eventID := uid.New()
		ev, err := json.Marshal(struct {
			ID         string          `json:"id"`
			Signal     string          `json:"signal"`
			Source     string          `json:"source"`
			Previous   string          `json:"previous_status"`
			Current    string          `json:"current_status"`
			OccurredAt time.Time       `json:"occurred_at"`
			Payment    json.RawMessage `json:"payment"`
		}{eventID, topic, source, from, p.Status, now, pj})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, b.insOutbox, eventID, b.account, p.ID, p.OrderID, topic, string(ev), b.ts(now), b.ts(now)); err != nil {
			return fmt.Errorf("outbox %s: %w", p.OrderID, err)
		}
	}
	return nil
}

// inTx runs fn in a transaction, committed unless it fails.
func (b *baseline) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// scanTime scans a timestamp column: a time on PostgreSQL, the store's
// text on SQLite.
func (b *baseline) scanTime(t *time.Time) any {
	if b.pg {
		return t
	}
	return timeText{t}
}

type timeText struct{ t *time.Time }

func (x timeText) Scan(v any) error {
	switch v := v.(type) {
	case time.Time:
		*x.t = v
		return nil
	case string:
		return x.parse(v)
	case []byte:
		return x.parse(string(v))
	}
	return fmt.Errorf("time: %T", v)
}

func (x timeText) parse(v string) error {
	t, err := time.Parse("2006-01-02 15:04:05.999999-07:00", v)
	*x.t = t
	return err
}
