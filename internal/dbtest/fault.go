package dbtest

import (
	"context"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// FailWrites makes the database refuse op ("INSERT" or "UPDATE") on table
// for rows matching when — an SQL condition on NEW, e.g.
// "NEW.order_id = 'o-1'" — with a trigger raising "injected database
// failure". It is how tests make a write fail midway through a transaction
// or an operation, on every database. Call the returned heal to drop the
// trigger; the test fails if it is left in place at the end.
func FailWrites(t testing.TB, db *bun.DB, table, op, when string) (heal func()) {
	t.Helper()
	ctx := context.Background()
	name := "fail_" + table + "_" + op
	var create, drop []string
	switch db.Dialect().Name() {
	case dialect.PG:
		create = []string{
			`CREATE FUNCTION ` + name + `() RETURNS trigger LANGUAGE plpgsql AS $$
			 BEGIN IF ` + when + ` THEN RAISE EXCEPTION 'injected database failure'; END IF; RETURN NEW; END; $$`,
			`CREATE TRIGGER ` + name + ` BEFORE ` + op + ` ON ` + table + ` FOR EACH ROW EXECUTE FUNCTION ` + name + `()`,
		}
		drop = []string{`DROP TRIGGER ` + name + ` ON ` + table, `DROP FUNCTION ` + name + `()`}
	case dialect.SQLite:
		create = []string{`CREATE TRIGGER ` + name + ` BEFORE ` + op + ` ON ` + table + ` WHEN ` + when + `
			BEGIN SELECT RAISE(ABORT, 'injected database failure'); END`}
		drop = []string{`DROP TRIGGER ` + name}
	case dialect.MySQL:
		create = []string{`CREATE TRIGGER ` + name + ` BEFORE ` + op + ` ON ` + table + ` FOR EACH ROW
			BEGIN IF ` + when + ` THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected database failure'; END IF; END`}
		drop = []string{`DROP TRIGGER ` + name}
	default:
		t.Fatalf("FailWrites: dialect %s", db.Dialect().Name())
	}
	for _, q := range create {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	healed := false
	t.Cleanup(func() {
		if !healed {
			for _, q := range drop {
				_, _ = db.ExecContext(context.Background(), q)
			}
		}
	})
	return func() {
		t.Helper()
		for _, q := range drop {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		healed = true
	}
}
