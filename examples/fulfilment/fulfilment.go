package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
)

// Order states.
const (
	OrderOpen      = "open"
	OrderFulfilled = "fulfilled"
	OrderReversed  = "reversed"
)

// Order is the shop's order. Its ID is the Midtrans order_id of its one
// payment; a shop allowing several attempts per order maps each attempt's
// order_id to its order instead.
type Order struct {
	bun.BaseModel `bun:"table:shop_orders"`

	ID       string `bun:"id,pk"`
	SKU      string `bun:"sku,notnull"`
	Quantity int64  `bun:"quantity,notnull"`
	Status   string `bun:"status,notnull"`
}

// Stock is what the shop has left of a product.
type Stock struct {
	bun.BaseModel `bun:"table:shop_stock"`

	SKU       string `bun:"sku,pk"`
	Available int64  `bun:"available,notnull"`
}

// ProcessedEvent says a hook event's effect is done. Its primary key is
// the event ID, so the database itself refuses to record one event twice.
type ProcessedEvent struct {
	bun.BaseModel `bun:"table:shop_processed_events"`

	EventID     string    `bun:"event_id,pk"`
	Signal      string    `bun:"signal,notnull"`
	OrderID     string    `bun:"order_id,notnull"`
	ProcessedAt time.Time `bun:"processed_at,notnull"`
}

// CreateSchema creates the shop's tables (a real shop has migrations).
func CreateSchema(ctx context.Context, db bun.IDB) error {
	for _, m := range []any{(*Order)(nil), (*Stock)(nil), (*ProcessedEvent)(nil)} {
		if _, err := db.NewCreateTable().Model(m).IfNotExists().Exec(ctx); err != nil {
			return fmt.Errorf("create %T: %w", m, err)
		}
	}
	return nil
}

// Fulfilment fulfils paid orders and undoes reversed ones, each exactly
// once in effect.
//
// Hook delivery is at least once: an event is delivered again when a
// receiver returns an error, when the process dies after the effect but
// before the delivery is recorded, or when a slow receiver outlives its
// lease and another replica takes the event. So each receiver, in ONE
// transaction of its own, inserts a row keyed by the event ID with ON
// CONFLICT DO NOTHING (INSERT IGNORE on MySQL) and does its effect only if that insert added the
// row. Both commit together or not at all: a redelivery finds the row and
// does nothing, and a failed effect leaves no row, so the retry does it.
// Checking first ("was it done?") and then writing would let two
// deliveries running at once both pass the check.
type Fulfilment struct {
	DB *bun.DB
}

// Connect wires the receivers to svc's signals.
func (f *Fulfilment) Connect(svc *payments.Service) (disconnect func()) {
	paid := svc.Connect(payments.SignalPaid, f.Paid)
	reversed := svc.Connect(payments.SignalReversed, f.Reversed)
	return func() { paid(); reversed() }
}

// Paid marks the order fulfilled and takes its items from stock.
func (f *Fulfilment) Paid(ctx context.Context, e *payments.Event) error {
	return f.once(ctx, e, func(ctx context.Context, tx bun.Tx, o *Order) error {
		if o.Status != OrderOpen {
			return nil // cancelled or reversed meanwhile: a human decides
		}
		return move(ctx, tx, o, OrderOpen, OrderFulfilled, -o.Quantity)
	})
}

// Reversed undoes a fulfilment after Midtrans reversed the payment: the
// order is marked reversed and its items go back to stock (a real shop
// would also stop the parcel).
func (f *Fulfilment) Reversed(ctx context.Context, e *payments.Event) error {
	return f.once(ctx, e, func(ctx context.Context, tx bun.Tx, o *Order) error {
		if o.Status != OrderFulfilled {
			return nil // nothing was fulfilled, nothing to undo
		}
		return move(ctx, tx, o, OrderFulfilled, OrderReversed, o.Quantity)
	})
}

// once runs effect for e's order in one transaction with the event's
// ProcessedEvent row, unless that row exists already.
func (f *Fulfilment) once(ctx context.Context, e *payments.Event, effect func(context.Context, bun.Tx, *Order) error) error {
	return f.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewInsert().Model(&ProcessedEvent{
			EventID: e.ID, Signal: string(e.Signal), OrderID: e.Payment.OrderID, ProcessedAt: time.Now().UTC(),
		}).Ignore().Exec(ctx) // ON CONFLICT DO NOTHING (PostgreSQL, SQLite), INSERT IGNORE (MySQL)
		if err != nil {
			return fmt.Errorf("record event %s: %w", e.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return nil // done by an earlier delivery
		}
		o := new(Order)
		if err := tx.NewSelect().Model(o).Where("id = ?", e.Payment.OrderID).Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				// Retrying cannot help, but failing keeps the event: it ends
				// dead and SignalDead tells a human.
				return fmt.Errorf("%s for unknown order %s", e.Signal, e.Payment.OrderID)
			}
			return err
		}
		return effect(ctx, tx, o)
	})
}

// move changes o's status from → to and its SKU's stock by delta. The
// status guard makes the write itself refuse a stale read.
func move(ctx context.Context, tx bun.Tx, o *Order, from, to string, delta int64) error {
	res, err := tx.NewUpdate().Model((*Order)(nil)).Set("status = ?", to).
		Where("id = ?", o.ID).Where("status = ?", from).Exec(ctx)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return fmt.Errorf("order %s is no longer %s", o.ID, from)
	}
	_, err = tx.NewUpdate().Model((*Stock)(nil)).Set("available = available + ?", delta).
		Where("sku = ?", o.SKU).Exec(ctx)
	return err
}
