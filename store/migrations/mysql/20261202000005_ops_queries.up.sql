-- Queries for the ops console and command (ListPayments, Timeline).
--
-- customer_email is the customer's email lower-cased (payments.EmailKey),
-- written by the store on insert; rows from before are filled from the
-- customer JSON (a JSON string only: JSON_UNQUOTE of a JSON null is the
-- text "null").
--
-- Not a .tx migration (see 20261202000004); every statement may run again.
-- MySQL 8 has neither ADD COLUMN IF NOT EXISTS nor CREATE INDEX IF NOT
-- EXISTS, so the column and its indexes are added by one ALTER TABLE, which
-- is atomic, prepared only while the column is missing. The migrator runs a
-- non-.tx migration on one connection, so the session variable and the
-- prepared statement survive from one statement to the next.
--
-- Indexes: (account, customer_email, created_at) for a search by email and
-- (account, created_at) for the whole list, both newest first (InnoDB adds
-- the primary key id to every secondary index, so the keyset order is
-- served). An order id prefix is a range on the (account, order_id) key;
-- utf8mb4_bin compares code points. A status with a creation range uses
-- (status, created_at); a timeline's events use the outbox's
-- (payment_id, dead, delivered_at, seq).
SET @nusapay_ops = IF(
    EXISTS (SELECT 1 FROM information_schema.columns
            WHERE table_schema = DATABASE() AND table_name = 'nusapay_payments' AND column_name = 'customer_email'),
    'DO 0',
    'ALTER TABLE nusapay_payments ADD COLUMN customer_email VARCHAR(255) NULL,
         ADD KEY nusapay_payments_customer_email_idx (account, customer_email, created_at),
         ADD KEY nusapay_payments_created_idx (account, created_at)');
--bun:split
PREPARE nusapay_ops FROM @nusapay_ops;
--bun:split
EXECUTE nusapay_ops;
--bun:split
DEALLOCATE PREPARE nusapay_ops;
--bun:split
UPDATE nusapay_payments
SET customer_email = LOWER(JSON_UNQUOTE(JSON_EXTRACT(customer, '$.email')))
WHERE customer_email IS NULL AND JSON_TYPE(JSON_EXTRACT(customer, '$.email')) = 'STRING'
  AND JSON_UNQUOTE(JSON_EXTRACT(customer, '$.email')) <> '';
