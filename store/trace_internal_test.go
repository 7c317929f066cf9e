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
		// A WITH statement is named by its first part that writes, else
		// its main SELECT.
		{"WITH due AS (SELECT c.seq FROM other AS c) UPDATE nusapay_outbox SET x = 1", "UPDATE", "nusapay_outbox"},
		{"WITH o AS (INSERT INTO nusapay_outbox (a) VALUES ('x)') RETURNING seq), audit AS (INSERT INTO nusapay_payment_events (b) VALUES (1)) SELECT seq FROM o",
			"INSERT", "nusapay_outbox"},
		{"with recursive a as (select 1 from t5), b as (select 2) delete from t4 where x in (select * from a)", "DELETE", "t4"},
		{"WITH a AS (SELECT x FROM t6) SELECT x FROM a", "SELECT", "a"},
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
