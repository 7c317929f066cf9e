package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/methods"
)

// Product is something the shop sells. Prices live here, on the server:
// the browser only ever names a product.
type Product struct {
	ID    string
	Name  string // the item name sent to Midtrans; pages show the translated one
	Price payments.Amount
}

// catalogue is the shop's stock, a fresh slice per call so nothing
// package-level can be changed.
func catalogue() []Product {
	return []Product{
		{ID: "kopi-gayo", Name: "Kopi Gayo, 250 g", Price: 85000},
		{ID: "batik-scarf", Name: "Batik tulis scarf", Price: 245000},
		{ID: "rattan-tote", Name: "Rattan tote bag", Price: 150000},
		{ID: "sambal-matah", Name: "Sambal matah, 3 jars", Price: 45000},
	}
}

func findProduct(id string) (Product, bool) {
	for _, p := range catalogue() {
		if p.ID == id {
			return p, true
		}
	}
	return Product{}, false
}

// Order states.
const (
	orderOpen      = "open"      // waiting for a payment
	orderFulfilled = "fulfilled" // paid and shipped
	orderReversed  = "reversed"  // paid, then the payment was reversed: fulfilment undone
	orderCancelled = "cancelled" // cancelled by the customer before paying
)

// Order is a row of shop_orders.
type Order struct {
	Ref            string    `bun:"ref"`
	ProductID      string    `bun:"product_id"`
	ProductName    string    `bun:"product_name"`
	Amount         int64     `bun:"amount"`
	CustomerName   string    `bun:"customer_name"`
	CustomerEmail  string    `bun:"customer_email"`
	CustomerPhone  string    `bun:"customer_phone"`
	Method         string    `bun:"method"` // the method chosen on the product page, preselected at checkout
	Attempts       int       `bun:"attempts"`
	CurrentPayment string    `bun:"current_payment"` // Midtrans order id of the latest attempt
	Status         string    `bun:"status"`
	PaidPayment    string    `bun:"paid_payment"`
	CreatedAt      time.Time `bun:"created_at"`
	FulfilledAt    time.Time `bun:"fulfilled_at,nullzero"`
	SyncedAt       time.Time `bun:"synced_at,nullzero"`
}

// The shop's own tables, next to the module's nusapay_* tables.
// shop_payments maps each payment attempt (a Midtrans order id) to its
// shop order; shop_fulfilments is the fulfilment log, keyed by the hook
// event id so a redelivered event changes nothing.
const (
	createOrders = `CREATE TABLE IF NOT EXISTS shop_orders (
		ref TEXT PRIMARY KEY,
		product_id TEXT NOT NULL,
		product_name TEXT NOT NULL,
		amount BIGINT NOT NULL CHECK (amount > 0),
		customer_name TEXT NOT NULL,
		customer_email TEXT NOT NULL,
		customer_phone TEXT NOT NULL,
		method TEXT NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		current_payment TEXT NOT NULL DEFAULT '',
		status TEXT NOT NULL DEFAULT 'open',
		paid_payment TEXT NOT NULL DEFAULT '',
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		fulfilled_at TIMESTAMP,
		synced_at TIMESTAMP
	)`
	createPayments = `CREATE TABLE IF NOT EXISTS shop_payments (
		payment_order_id TEXT PRIMARY KEY,
		order_ref TEXT NOT NULL REFERENCES shop_orders (ref),
		attempt INTEGER NOT NULL,
		created_at TIMESTAMP NOT NULL
	)`
	createFulfilments = `CREATE TABLE IF NOT EXISTS shop_fulfilments (
		event_id TEXT PRIMARY KEY,
		order_ref TEXT NOT NULL REFERENCES shop_orders (ref),
		payment_order_id TEXT NOT NULL,
		kind TEXT NOT NULL,
		created_at TIMESTAMP NOT NULL
	)`
)

// orders is the shop's order book. It is the module's OrderSource and
// holds the fulfilment hooks.
type orders struct {
	db  *bun.DB
	svc *payments.Service
	log *slog.Logger
	now func() time.Time
	// baseURL is the shop's own URL: e-wallets send the customer back to
	// the order page under it.
	baseURL string
}

var _ adapters.OrderSource = (*orders)(nil)

func (o *orders) migrate(ctx context.Context) error {
	for _, q := range []string{createOrders, createPayments, createFulfilments} {
		if _, err := o.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("shop schema: %w", err)
		}
	}
	return nil
}

// newOrderRef makes an order reference that is hard to guess: the public
// payment-status route is keyed by it (plus the attempt number).
func newOrderRef() string { return "NP-" + rand.Text()[:16] }

// customer is what the product page asks for.
type customer struct{ Name, Email, Phone string }

// validate returns the text key of a message per bad field, keyed by the
// form field name.
func (c customer) validate() map[string]string {
	bad := map[string]string{}
	switch n := strings.TrimSpace(c.Name); {
	case n == "":
		bad["name"] = "err.name"
	case utf8.RuneCountInString(n) > 100:
		bad["name"] = "err.name.long"
	}
	if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != strings.TrimSpace(c.Email) || len(c.Email) > 100 {
		bad["email"] = "err.email"
	}
	digits := 0
	for i, r := range c.Phone {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-':
		default:
			digits = -100
		}
	}
	if digits < 8 || digits > 15 {
		bad["phone"] = "err.phone"
	}
	return bad
}

// create stores a new order for a product. The price is the catalogue's.
func (o *orders) create(ctx context.Context, p Product, method string, c customer) (*Order, error) {
	now := o.now().UTC()
	ord := &Order{Ref: newOrderRef(), ProductID: p.ID, ProductName: p.Name, Amount: int64(p.Price),
		CustomerName: strings.TrimSpace(c.Name), CustomerEmail: strings.TrimSpace(c.Email),
		CustomerPhone: strings.TrimSpace(c.Phone), Method: method, Status: orderOpen, CreatedAt: now}
	_, err := o.db.ExecContext(ctx, `INSERT INTO shop_orders
		(ref, product_id, product_name, amount, customer_name, customer_email, customer_phone, method, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ord.Ref, ord.ProductID, ord.ProductName, ord.Amount, ord.CustomerName, ord.CustomerEmail, ord.CustomerPhone,
		ord.Method, ord.Status, now, now)
	if err != nil {
		return nil, fmt.Errorf("create order: %w", err)
	}
	return ord, nil
}

// get returns an order; the error wraps payments.ErrNotFound when there is
// none, which the module's charges route turns into a 404.
func (o *orders) get(ctx context.Context, ref string) (*Order, error) {
	var ord Order
	err := o.db.NewRaw(`SELECT ref, product_id, product_name, amount, customer_name, customer_email, customer_phone,
		method, attempts, current_payment, status, paid_payment, created_at, fulfilled_at, synced_at
		FROM shop_orders WHERE ref = ?`, ref).Scan(ctx, &ord)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("order %q: %w", ref, payments.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("order %q: %w", ref, err)
	}
	return &ord, nil
}

// currentPayment returns the order's latest payment attempt, or nil when
// none was recorded by the module yet.
func (o *orders) currentPayment(ctx context.Context, ord *Order) (*payments.Payment, error) {
	if ord.CurrentPayment == "" {
		return nil, nil
	}
	p, err := o.svc.Payment(ctx, ord.CurrentPayment)
	if errors.Is(err, payments.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// PaymentOrder is the module's OrderSource: the browser names an order,
// and amount, items, customer and any host-only method options come from
// here.
//
// Each attempt gets its own Midtrans order id, <ref>-<n>, because Midtrans
// refuses an order id twice: after an attempt failed (expired, cancelled,
// denied) the next one takes n+1, so the customer can switch methods. While
// the latest attempt is alive the order cannot be charged again, so it is
// never paid twice. An attempt the module has not recorded (a charge
// refused before it was stored, or one still being sent) is handed out
// again: the module then either charges it or resumes it with the same
// idempotency key.
func (o *orders) PaymentOrder(ctx context.Context, ref, method string) (*adapters.Order, error) {
	ord, err := o.get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if ord.Status != orderOpen {
		return nil, fmt.Errorf("order %s: %w", ref, adapters.NotPayable(fmt.Sprintf("the order is %s", ord.Status), ord.CurrentPayment))
	}
	p, err := o.currentPayment(ctx, ord)
	if err != nil {
		return nil, err
	}
	id := ord.CurrentPayment
	switch {
	case p != nil && p.Outcome() != payments.OutcomeFailed:
		return nil, fmt.Errorf("order %s: %w", ref, adapters.NotPayable("a payment for this order is already in progress", p.OrderID))
	case p != nil || id == "":
		if id, err = o.nextAttempt(ctx, ord); err != nil {
			return nil, err
		}
	}
	first, last, _ := strings.Cut(ord.CustomerName, " ")
	return &adapters.Order{
		OrderID: id,
		Amount:  payments.Amount(ord.Amount),
		Items:   []payments.Item{{ID: ord.ProductID, Name: ord.ProductName, Price: payments.Amount(ord.Amount), Quantity: 1}},
		Customer: &payments.Customer{FirstName: first, LastName: strings.TrimSpace(last),
			Email: ord.CustomerEmail, Phone: ord.CustomerPhone},
		CustomField1: ord.Ref,
		// Host-only options: where an e-wallet sends the customer back.
		// Cards get none, so every card charge keeps 3-D Secure (a nil
		// CardOptions.Authentication means on), and the browser may send
		// only the card token.
		Options: o.hostOptions(ref, method),
	}, nil
}

// hostOptions are the options only the shop decides for method: the
// callback URL of the apps that send the customer back (never taken from
// the browser, which could point it anywhere).
func (o *orders) hostOptions(ref, method string) any {
	back := strings.TrimRight(o.baseURL, "/") + "/orders/" + url.PathEscape(ref)
	switch method {
	case "gopay":
		return methods.GoPayOptions{CallbackURL: back}
	case "shopeepay":
		return methods.ShopeePayOptions{CallbackURL: back}
	case "dana":
		return methods.DanaOptions{CallbackURL: back}
	case "snap":
		// Snap offers the shop's channels (those active on the account),
		// cards with 3-D Secure, and sends the customer back here. A page
		// left unused for an hour ends, and so does its payment.
		return methods.SnapOptions{FinishURL: back, PageExpiry: time.Hour,
			EnabledPayments: []string{"credit_card", "bank_transfer", "echannel", "gopay", "shopeepay", "other_qris", "cstore", "akulaku"}}
	}
	return nil
}

// nextAttempt records attempt n+1. The compare-and-set on the attempt
// count lets only one of two concurrent requests start it.
func (o *orders) nextAttempt(ctx context.Context, ord *Order) (string, error) {
	n := ord.Attempts + 1
	id := fmt.Sprintf("%s-%d", ord.Ref, n)
	now := o.now().UTC()
	err := o.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE shop_orders SET attempts = ?, current_payment = ?, updated_at = ?
			WHERE ref = ? AND attempts = ? AND status = ?`, n, id, now, ord.Ref, ord.Attempts, orderOpen)
		if err != nil {
			return err
		}
		if rows, err := res.RowsAffected(); err != nil || rows != 1 {
			return errors.Join(fmt.Errorf("order %s: another payment attempt started: %w", ord.Ref, payments.ErrNotAllowed), err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO shop_payments (payment_order_id, order_ref, attempt, created_at)
			VALUES (?, ?, ?, ?)`, id, ord.Ref, n, now)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("order %s: attempt %d: %w", ord.Ref, n, err)
	}
	return id, nil
}

// abandon drops the order's current attempt when Midtrans has no such
// transaction (the simulator restarted and forgot it): nobody can pay it,
// so the next charge starts attempt n+1. Only that attempt is dropped, so a
// concurrent new attempt is left alone.
func (o *orders) abandon(ctx context.Context, ref, paymentOrderID string) error {
	_, err := o.db.ExecContext(ctx, `UPDATE shop_orders SET current_payment = '', updated_at = ?
		WHERE ref = ? AND current_payment = ? AND status = ?`, o.now().UTC(), ref, paymentOrderID, orderOpen)
	if err != nil {
		return fmt.Errorf("order %s: abandon %s: %w", ref, paymentOrderID, err)
	}
	return nil
}

// cancel marks an open order cancelled; its payment must have ended
// first. It reports whether the order was open.
func (o *orders) cancel(ctx context.Context, ref string) (bool, error) {
	res, err := o.db.ExecContext(ctx, `UPDATE shop_orders SET status = ?, updated_at = ? WHERE ref = ? AND status = ?`,
		orderCancelled, o.now().UTC(), ref, orderOpen)
	if err != nil {
		return false, fmt.Errorf("cancel order %s: %w", ref, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// claimSync reports whether the caller may ask Midtrans about the order's
// payment now: at most once per every, across requests and replicas.
func (o *orders) claimSync(ctx context.Context, ref string, every time.Duration) (bool, error) {
	now := o.now().UTC()
	res, err := o.db.ExecContext(ctx, `UPDATE shop_orders SET synced_at = ?
		WHERE ref = ? AND (synced_at IS NULL OR synced_at <= ?)`, now, ref, now.Add(-every))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Fulfilment log kinds.
const (
	kindPaid     = "paid"
	kindReversed = "reversed"
)

// fulfil is the SignalPaid receiver: it ships the order exactly once.
func (o *orders) fulfil(ctx context.Context, e *payments.Event) error {
	return o.record(ctx, e, kindPaid)
}

// reverse is the SignalReversed receiver: a paid payment was taken back
// (fraud review or the provider), so the fulfilment is undone.
func (o *orders) reverse(ctx context.Context, e *payments.Event) error {
	return o.record(ctx, e, kindReversed)
}

// record applies a hook event to its order exactly once. Delivery is at
// least once, so the event id is inserted into the fulfilment log in the
// same transaction as the order update: a redelivered event conflicts,
// inserts nothing and changes nothing. Events of payments that are not the
// shop's (no shop_payments row) insert nothing either.
func (o *orders) record(ctx context.Context, e *payments.Event, kind string) error {
	if e.Payment == nil {
		return fmt.Errorf("event %s has no payment", e.ID)
	}
	paymentID := e.Payment.OrderID
	now := o.now().UTC()
	var ref string
	var applied bool
	err := o.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO shop_fulfilments (event_id, order_ref, payment_order_id, kind, created_at)
			SELECT ?, order_ref, payment_order_id, ?, ? FROM shop_payments WHERE payment_order_id = ?
			ON CONFLICT (event_id) DO NOTHING`, e.ID, kind, now, paymentID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // a redelivery, or not a shop payment
		}
		if err := tx.NewRaw(`SELECT order_ref FROM shop_payments WHERE payment_order_id = ?`, paymentID).Scan(ctx, &ref); err != nil {
			return err
		}
		if kind == kindPaid {
			res, err = tx.ExecContext(ctx, `UPDATE shop_orders
				SET status = 'fulfilled', paid_payment = ?, fulfilled_at = ?, updated_at = ?
				WHERE ref = ? AND status = 'open'`, paymentID, now, now, ref)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE shop_orders SET status = 'reversed', updated_at = ?
				WHERE ref = ? AND paid_payment = ? AND status = 'fulfilled'`, now, ref, paymentID)
		}
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		applied = n == 1
		return err
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", kind, paymentID, err)
	}
	switch {
	case ref == "":
		o.log.DebugContext(ctx, "shop: event already handled or not a shop payment", "event_id", e.ID, "payment", paymentID)
	case applied && kind == kindPaid:
		o.log.InfoContext(ctx, "shop: order fulfilled", "order", ref, "payment", paymentID, "event_id", e.ID)
	case applied:
		o.log.WarnContext(ctx, "shop: payment reversed, fulfilment undone", "order", ref, "payment", paymentID)
	case kind == kindPaid:
		// A payment for an order already paid or cancelled: a real shop
		// would refund it (svc.Refund) or ask the customer.
		o.log.WarnContext(ctx, "shop: payment for an order that is no longer open; refund it", "order", ref, "payment", paymentID)
	}
	return nil
}

// fulfilments counts the fulfilment-log rows of an order.
func (o *orders) fulfilments(ctx context.Context, ref string) (int, error) {
	var n int
	err := o.db.NewRaw(`SELECT COUNT(*) FROM shop_fulfilments WHERE order_ref = ?`, ref).Scan(ctx, &n)
	return n, err
}
