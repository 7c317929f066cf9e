package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/store"
)

// TestListPaymentsUsesIndexes: on a few thousand payments of two accounts,
// after ANALYZE, the lists a console runs most are served from an index on
// every database, never by reading all of nusapay_payments: EXPLAIN shows
// no Seq Scan (PostgreSQL), no SCAN without an index (SQLite) and no type
// ALL (MySQL). Run with -v to see the plans.
func TestListPaymentsUsesIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		seedPayments(t, db, base, 4000)
		var analyze string
		switch db.Dialect().Name() {
		case dialect.PG:
			analyze = "ANALYZE nusapay_payments"
		case dialect.MySQL:
			analyze = "ANALYZE TABLE nusapay_payments"
		default:
			analyze = "ANALYZE"
		}
		if _, err := db.ExecContext(ctx, analyze); err != nil {
			t.Fatal(err)
		}
		s, err := store.New(db)
		if err != nil {
			t.Fatal(err)
		}
		cursor := payments.PageCursor{CreatedAt: base.Add(20 * 24 * time.Hour), ID: "p-02000"}.String()
		for name, q := range map[string]payments.PaymentQuery{
			"newest first":            {},
			"next page":               {After: cursor},
			"order id prefix":         {OrderIDPrefix: "ord-0123"},
			"customer email":          {CustomerEmail: "Customer17@example.com"},
			"status and created":      {Statuses: []payments.Status{payments.StatusPending}, CreatedFrom: base.Add(10 * 24 * time.Hour), CreatedTo: base.Add(11 * 24 * time.Hour)},
			"status, created, cursor": {Statuses: []payments.Status{payments.StatusSettlement}, CreatedFrom: base.Add(10 * 24 * time.Hour), After: cursor},
		} {
			plan := explain(t, db, store.ListSQL(s, q))
			t.Logf("%s:\n%s", name, plan.text)
			if plan.fullScan != "" {
				t.Errorf("%s reads all of nusapay_payments: %s\n%s", name, plan.fullScan, plan.text)
			}
			// The unfiltered list reads a page from the index in order,
			// never every payment of the account to sort them.
			if (name == "newest first" || name == "next page") && plan.sorts {
				t.Errorf("%s sorts:\n%s", name, plan.text)
			}
		}
	})
}

// seedPayments inserts n payments, half of them in another account, one
// every 15 minutes from base, spread over 10 statuses and 200 customers.
func seedPayments(t *testing.T, db *bun.DB, base time.Time, n int) {
	t.Helper()
	statuses := []payments.Status{payments.StatusInitiated, payments.StatusPending, payments.StatusSettlement, payments.StatusSettlement,
		payments.StatusExpire, payments.StatusExpire, payments.StatusCancel, payments.StatusCapture, payments.StatusDeny, payments.StatusRefund}
	const batch = 500
	for start := 0; start < n; start += batch {
		var (
			values []string
			args   []any
		)
		for i := start; i < min(start+batch, n); i++ {
			account := payments.DefaultAccount
			if i%2 == 1 {
				account = "other"
			}
			at := base.Add(time.Duration(i) * 15 * time.Minute)
			values = append(values, "(?, ?, ?, 'gopay', 10000, ?, '', ?, ?, ?)")
			args = append(args, fmt.Sprintf("p-%05d", i), account, fmt.Sprintf("ord-%05d", i), string(statuses[i%len(statuses)]),
				fmt.Sprintf("customer%d@example.com", i%200), at, at)
		}
		q := "INSERT INTO nusapay_payments (id, account, order_id, method, amount, status, fraud_status, customer_email, created_at, updated_at) VALUES " +
			strings.Join(values, ", ")
		if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
			t.Fatal(err)
		}
	}
}

type queryPlan struct {
	text string
	// fullScan describes a full scan of a table, "" when none.
	fullScan string
	// sorts: the rows are sorted rather than read in index order.
	sorts bool
}

func explain(t *testing.T, db *bun.DB, query string) queryPlan {
	t.Helper()
	ctx := context.Background()
	var plan queryPlan
	switch db.Dialect().Name() {
	case dialect.PG:
		var raw string
		if err := db.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+query).Scan(&raw); err != nil {
			t.Fatalf("%v\n%s", err, query)
		}
		var nodes []struct {
			Plan pgPlanNode `json:"Plan"`
		}
		if err := json.Unmarshal([]byte(raw), &nodes); err != nil || len(nodes) != 1 {
			t.Fatalf("plan %s: %v", raw, err)
		}
		var b strings.Builder
		nodes[0].Plan.walk(0, &b, &plan)
		plan.text = b.String()
	case dialect.SQLite:
		rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query)
		if err != nil {
			t.Fatalf("%v\n%s", err, query)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s\n", detail)
			plan.sorts = plan.sorts || strings.Contains(detail, "B-TREE FOR ORDER BY")
			if strings.HasPrefix(detail, "SCAN ") && !strings.Contains(detail, " USING ") {
				plan.fullScan = detail
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		plan.text = b.String()
	case dialect.MySQL:
		rows, err := db.QueryContext(ctx, "EXPLAIN "+query)
		if err != nil {
			t.Fatalf("%v\n%s", err, query)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var b strings.Builder
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := map[string]string{}
			for i, c := range cols {
				row[c] = vals[i].String
			}
			fmt.Fprintf(&b, "table=%s type=%s key=%s rows=%s extra=%s\n", row["table"], row["type"], row["key"], row["rows"], row["Extra"])
			plan.sorts = plan.sorts || strings.Contains(row["Extra"], "filesort")
			if row["type"] == "ALL" {
				plan.fullScan = "type ALL on " + row["table"]
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		plan.text = b.String()
	}
	return plan
}

type pgPlanNode struct {
	NodeType  string       `json:"Node Type"`
	Relation  string       `json:"Relation Name"`
	Index     string       `json:"Index Name"`
	IndexCond string       `json:"Index Cond"`
	Plans     []pgPlanNode `json:"Plans"`
}

func (n *pgPlanNode) walk(depth int, b *strings.Builder, plan *queryPlan) {
	fmt.Fprintf(b, "%s%s %s %s %s\n", strings.Repeat("  ", depth), n.NodeType, n.Relation, n.Index, n.IndexCond)
	plan.sorts = plan.sorts || n.NodeType == "Sort"
	if n.NodeType == "Seq Scan" {
		plan.fullScan = "Seq Scan on " + n.Relation
	}
	for i := range n.Plans {
		n.Plans[i].walk(depth+1, b, plan)
	}
}

// TestPruneUsesIndexes: on a few thousand hook events and notifications of
// two accounts, after ANALYZE, a prune batch finds its rows through an
// index on every database, never by reading the whole outbox or inbox, and
// on MySQL deletes in index order without a sort.
func TestPruneUsesIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		const n = 4000
		seedPayments(t, db, base, n)
		states := []payments.NotificationState{payments.NotificationProcessed, payments.NotificationProcessed,
			payments.NotificationIgnored, payments.NotificationRejected, payments.NotificationReceived, payments.NotificationFailed}
		for start := 0; start < n; start += 500 {
			var events, notes []string
			var eargs, nargs []any
			for i := start; i < start+500; i++ {
				account := payments.DefaultAccount
				if i%2 == 1 {
					account = "other"
				}
				at := base.Add(time.Duration(i) * 15 * time.Minute)
				var delivered any
				if i%5 != 0 {
					delivered = at.Add(time.Minute)
				}
				events = append(events, "(?, ?, ?, ?, 'payment.created', '{}', 1, ?, ?, ?, ?)")
				eargs = append(eargs, fmt.Sprintf("e-%05d", i), account, fmt.Sprintf("p-%05d", i), fmt.Sprintf("ord-%05d", i),
					at, delivered, i%5 == 0 && i%10 == 0, at)
				state := states[i%len(states)]
				var processed any
				if state != payments.NotificationReceived {
					processed = at.Add(time.Second)
				}
				notes = append(notes, "(?, ?, ?, ?, TRUE, ?, '{}', ?, ?)")
				nargs = append(nargs, fmt.Sprintf("n-%05d", i), account, fmt.Sprintf("key-%05d", i), fmt.Sprintf("ord-%05d", i),
					string(state), at, processed)
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO nusapay_outbox (event_id, account, payment_id, order_id, topic, payload, attempts, "+
				"next_attempt_at, delivered_at, dead, created_at) VALUES "+strings.Join(events, ", "), eargs...); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO nusapay_inbox (id, account, dedup_key, order_id, signature_valid, state, body, "+
				"received_at, processed_at) VALUES "+strings.Join(notes, ", "), nargs...); err != nil {
				t.Fatal(err)
			}
		}
		var analyze []string
		switch db.Dialect().Name() {
		case dialect.PG:
			analyze = []string{"ANALYZE nusapay_outbox", "ANALYZE nusapay_inbox"}
		case dialect.MySQL:
			analyze = []string{"ANALYZE TABLE nusapay_outbox", "ANALYZE TABLE nusapay_inbox"}
		default:
			analyze = []string{"ANALYZE"}
		}
		for _, q := range analyze {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		s, err := store.New(db)
		if err != nil {
			t.Fatal(err)
		}
		before := base.Add(5 * 24 * time.Hour)
		for name, q := range map[string]string{
			"events":        store.PruneEventsSQL(s, before, 500),
			"notifications": store.PruneNotificationsSQL(s, before, 500),
		} {
			plan := explain(t, db, q)
			t.Logf("%s: %s\n%s", name, q, plan.text)
			if plan.fullScan != "" {
				t.Errorf("pruning %s reads the whole table: %s\n%s", name, plan.fullScan, plan.text)
			}
			if db.Dialect().Name() == dialect.MySQL && plan.sorts {
				t.Errorf("pruning %s sorts:\n%s", name, plan.text)
			}
		}
	})
}

// TestCompareAndSetUsesPrimaryKey: on a fresh table (never analyzed) of
// two thousand pending payments, the statement that moves one of them
// finds it by its primary key. It once also filtered on the old status, and
// PostgreSQL's planner preferred the (status, …) indexes: every settlement
// read every pending payment.
func TestCompareAndSetUsesPrimaryKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		rec := &dbtest.Statements{}
		s, err := store.New(db.WithQueryHook(rec))
		if err != nil {
			t.Fatal(err)
		}
		const n = 2000
		var last string
		for i := range n {
			last = fmt.Sprintf("order-cas-%04d", i)
			if err := s.CreatePayment(ctx, &payments.Payment{OrderID: last, Method: "gopay", Amount: 50000}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Apply(ctx, &payments.Change{OrderID: last, To: payments.State{Status: payments.StatusPending},
				Source: payments.SourceCharge}); err != nil {
				t.Fatal(err)
			}
		}
		rec.Take()
		if _, err := s.Apply(ctx, &payments.Change{OrderID: last, To: payments.State{Status: payments.StatusSettlement},
			Source: payments.SourceSync, TransactionID: "tx-cas"}); err != nil {
			t.Fatal(err)
		}
		var update string
		for _, q := range rec.Take() {
			if strings.Contains(q, "nusapay_write_change(") || strings.Contains(q, "UPDATE") && strings.Contains(q, "nusapay_payments") {
				update = q
			}
		}
		if update == "" {
			t.Fatal("no statement updated nusapay_payments")
		}
		if strings.Contains(update, "nusapay_write_change(") {
			// PostgreSQL: the UPDATE runs inside the function, where
			// EXPLAIN does not see; the buffers the call touches tell.
			// Run again, the version no longer matches, but the
			// UPDATE still looks the payment up: by its key, a handful
			// of pages; through a status index, every pending payment's.
			hits := functionBuffers(t, db, update)
			t.Logf("%s\n%d buffers", update, hits)
			if hits > 20 {
				t.Errorf("the compare-and-set touched %d buffers for one payment among %d pending", hits, n)
			}
			return
		}
		plan := explain(t, db, update)
		t.Logf("%s\n%s", update, plan.text)
		if plan.fullScan != "" || strings.Contains(plan.text, "status") {
			t.Errorf("the compare-and-set does not read the payment by its primary key:\n%s", plan.text)
		}
	})
}

// functionBuffers is the shared buffers a PostgreSQL statement touches,
// the second time it runs, each time in a transaction rolled back.
func functionBuffers(t *testing.T, db *bun.DB, query string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var hits int
	for range 2 {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var raw string
		if err := tx.QueryRowContext(ctx, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "+query).Scan(&raw); err != nil {
			t.Fatalf("%v\n%s", err, query)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		var nodes []struct {
			Plan struct {
				Hit  int `json:"Shared Hit Blocks"`
				Read int `json:"Shared Read Blocks"`
			} `json:"Plan"`
			Planning struct {
				Hit  int `json:"Shared Hit Blocks"`
				Read int `json:"Shared Read Blocks"`
			} `json:"Planning"`
		}
		if err := json.Unmarshal([]byte(raw), &nodes); err != nil || len(nodes) != 1 {
			t.Fatalf("plan %s: %v", raw, err)
		}
		hits = nodes[0].Plan.Hit + nodes[0].Plan.Read
	}
	return hits
}
