package store

import (
	"testing"

	"github.com/uptrace/bun"
)

// TestQueryTableAndOperation: the hook's operation and table come from
// keywords outside literals and comments, and a literal (where Bun puts
// every argument) is never read as a keyword or a name.
func TestQueryTableAndOperation(t *testing.T) {
	for _, tc := range []struct {
		query, op, table string
	}{
		{"SELECT created_at FROM nusapay_outbox WHERE account = 'default' LIMIT 1", "SELECT", "nusapay_outbox"},
		{`  delete FROM "nusapay_inbox" WHERE id IN (SELECT id FROM x)`, "DELETE", "nusapay_inbox"},
		{"INSERT INTO `nusapay_payments` (`id`) VALUES ('p-1')", "INSERT", "nusapay_payments"},
		{`UPDATE "public"."nusapay_outbox" SET dead = TRUE`, "UPDATE", "public.nusapay_outbox"},
		// A WITH list is skipped: the statement is named by its last verb
		// and that verb's table.
		{"WITH due AS (SELECT c.seq FROM other AS c) UPDATE nusapay_outbox SET x = 1", "UPDATE", "nusapay_outbox"},
		{"WITH audit AS (INSERT INTO nusapay_payment_events (a) VALUES ('x)')) INSERT INTO nusapay_outbox (b) VALUES (1) RETURNING seq",
			"INSERT", "nusapay_outbox"},
		{"with recursive a as (select 1), b as (select 2) delete from t4 where x in (select * from a)", "DELETE", "t4"},
		{"WITH (unterminated", "WITH", ""},
		{"-- FROM comment_table\nSELECT 1", "SELECT", ""},
		{"/* FROM comment_table */ SELECT a FROM t", "SELECT", "t"},
		// Arguments are literals: none of their words is a keyword or a name.
		{"SELECT 'budi FROM secret_email' AS x FROM nusapay_payments", "SELECT", "nusapay_payments"},
		{"SELECT 'it''s FROM secret' AS x, y FROM t2", "SELECT", "t2"},
		{`SELECT 'C:\\' AS x FROM t3 WHERE a = 'FROM secret'`, "SELECT", "t3"},
		{"SELECT * FROM 'ord-SECRET'", "SELECT", ""},
		{"SELECT * FROM (SELECT 'ord-SECRET') AS t", "SELECT", ""},
		{"SELECT * FROM \"weird name\"", "SELECT", ""},
		{"SELECT 'unterminated FROM secret", "SELECT", ""},
		{"'ord-SECRET' FROM t", "", "t"},
		{"BEGIN", "BEGIN", ""},
		{"", "", ""},
	} {
		e := &bun.QueryEvent{Query: tc.query, QueryTemplate: tc.query}
		if op, table := queryOperation(e), queryTable(e); op != tc.op || table != tc.table {
			t.Errorf("%q: operation %q, table %q; want %q, %q", tc.query, op, table, tc.op, tc.table)
		}
	}
}
