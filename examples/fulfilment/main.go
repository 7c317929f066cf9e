package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/store"
)

func main() {
	if err := run(context.Background(), os.Getenv("DATABASE_URL"), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, databaseURL string, out io.Writer) error {
	db, cleanup, err := open(databaseURL)
	if err != nil {
		return err
	}
	defer cleanup()
	if err := store.Migrate(ctx, db); err != nil {
		return err
	}
	if err := CreateSchema(ctx, db); err != nil {
		return err
	}
	st, err := store.New(db)
	if err != nil {
		return err
	}
	sim := midtranstest.NewServer(midtranstest.Config{})
	defer sim.Close()
	client, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL()})
	if err != nil {
		return err
	}
	svc, err := payments.New(client, st, payments.WithMethods(methods.Default()...))
	if err != nil {
		return err
	}
	f := &Fulfilment{DB: db}
	f.Connect(svc)
	var paid *payments.Event // kept to deliver it again below
	svc.Connect(payments.SignalPaid, func(_ context.Context, e *payments.Event) error { paid = e; return nil })

	// An order for 2 of the 10 shirts in stock.
	orderID := "INV-" + rand.Text()[:10] // new on every run, also on a kept PostgreSQL
	if err := restock(ctx, db, &Stock{SKU: "batik-tee", Available: 10}); err != nil {
		return err
	}
	if _, err := db.NewInsert().Model(&Order{ID: orderID, SKU: "batik-tee", Quantity: 2, Status: OrderOpen}).Exec(ctx); err != nil {
		return err
	}
	report := func(when string) error {
		o, s := new(Order), new(Stock)
		if err := db.NewSelect().Model(o).Where("id = ?", orderID).Scan(ctx); err != nil {
			return err
		}
		if err := db.NewSelect().Model(s).Where("sku = ?", o.SKU).Scan(ctx); err != nil {
			return err
		}
		fmt.Fprintf(out, "%-12s order %s, %d in stock\n", when+":", o.Status, s.Available)
		return nil
	}

	if _, err := svc.CreateCharge(ctx, &payments.ChargeRequest{OrderID: orderID, Method: "bca_va", Amount: 300000}); err != nil {
		return err
	}
	// The customer pays; Sync stands in for the webhook, DeliverDue for Run.
	if err := sim.Pay(orderID); err != nil {
		return err
	}
	if err := settle(ctx, svc, orderID); err != nil {
		return err
	}
	if err := report("paid"); err != nil {
		return err
	}
	// Delivery is at least once: the same event again changes nothing.
	if err := f.Paid(ctx, paid); err != nil {
		return err
	}
	if err := report("redelivered"); err != nil {
		return err
	}
	// Midtrans reverses the payment (the bank clawed it back).
	if err := sim.Reverse(orderID); err != nil {
		return err
	}
	if err := settle(ctx, svc, orderID); err != nil {
		return err
	}
	return report("reversed")
}

// settle syncs the payment and delivers the hook events it caused.
func settle(ctx context.Context, svc *payments.Service, orderID string) error {
	if _, err := svc.Sync(ctx, orderID); err != nil {
		return err
	}
	_, err := svc.DeliverDue(ctx)
	return err
}

// open opens PostgreSQL at databaseURL, or a temporary SQLite file.
func open(databaseURL string) (*bun.DB, func(), error) {
	if databaseURL != "" {
		db, err := store.OpenPostgres(databaseURL)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { _ = db.Close() }, nil
	}
	dir, err := os.MkdirTemp("", "fulfilment")
	if err != nil {
		return nil, nil, err
	}
	db, err := store.OpenSQLite(filepath.Join(dir, "shop.db"))
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, err
	}
	return db, func() { _ = db.Close(); _ = os.RemoveAll(dir) }, nil
}

// restock sets a SKU's stock, inserting it the first time, in a way every
// database the module supports understands.
func restock(ctx context.Context, db *bun.DB, s *Stock) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model(s).Column("available").WherePK().Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var exists bool
		if exists, err = tx.NewSelect().Model((*Stock)(nil)).Where("sku = ?", s.SKU).Exists(ctx); err != nil || exists {
			return err // MySQL counts an update to the same value as no row
		}
		_, err = tx.NewInsert().Model(s).Exec(ctx)
		return err
	})
}
