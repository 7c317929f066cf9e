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
	b.selPay = b.sql(`SELECT id, status, version, amount FROM nusapay_payments WHERE account = ? AND order_id = ?` + forUpdate)
	b.updPay = b.sql(`UPDATE nusapay_payments SET status = ?, fraud_status = ?, transaction_id = ?, paid_at = ?,
		version = version + 1, updated_at = ? WHERE id = ? AND version = ?`)
	b.insAudit = b.sql(`INSERT INTO nusapay_payment_events (payment_id, account, order_id, source, from_status, to_status,
		decision, reason, payload, created_at) VALUES (?, ?, ?, 'notification', ?, ?, 'applied', 'transition', ?, ?)`)
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
	var id, status string
	var version, amount int64
	if err := tx.QueryRowContext(ctx, b.selPay, b.account, n.OrderID).Scan(&id, &status, &version, &amount); err != nil {
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
		if _, err := tx.ExecContext(ctx, b.insAudit, id, b.account, n.OrderID, status, n.TransactionStatus, string(body), b.ts(now)); err != nil {
			return false, fmt.Errorf("audit %s: %w", n.OrderID, err)
		}
		for _, topic := range []string{"paid", "status_changed"} {
			payload := `{"order_id":` + strconv.Quote(n.OrderID) + `,"signal":"` + topic + `","status":` + strconv.Quote(n.TransactionStatus) + `}`
			if _, err := tx.ExecContext(ctx, b.insOutbox, uid.New(), b.account, id, n.OrderID, topic, payload, b.ts(now), b.ts(now)); err != nil {
				return false, fmt.Errorf("outbox %s: %w", n.OrderID, err)
			}
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
	if _, err := b.db.ExecContext(ctx, b.insCharge, id, b.account, req.OrderRef, amount, b.ts(now), b.ts(now)); err != nil {
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
	if _, err := b.db.ExecContext(ctx, b.updCharge, resp.TransactionStatus, resp.TransactionID, instr, string(resp.Raw),
		b.ts(time.Now()), id); err != nil {
		answer(w, http.StatusInternalServerError, `{"error":"internal"}`)
		return
	}
	answer(w, http.StatusCreated, `{"order_id":`+strconv.Quote(req.OrderRef)+`,"status":`+strconv.Quote(resp.TransactionStatus)+
		`,"va_number":`+strconv.Quote(va)+`}`)
}
