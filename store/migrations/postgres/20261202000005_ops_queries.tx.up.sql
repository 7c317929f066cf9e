-- Queries for the ops console and command (ListPayments, Timeline).
--
-- customer_email is the customer's email lower-cased (payments.EmailKey),
-- written by the store on insert; rows from before are filled from the
-- customer JSON. The new indexes lead with the column they select on, never
-- the account (see 20261202000002):
--   * (customer_email, created_at): a search by email, newest first;
--   * (created_at, id): the whole list, newest first, in keyset order;
--   * (order_id COLLATE "C"): an order id prefix, matched as a byte range,
--     which the (account, order_id) key cannot serve under a linguistic
--     database collation;
--   * outbox (payment_id, seq): a timeline's events, delivered and dead
--     ones included, which the partial claim index leaves out.
-- A status with a creation range keeps using (status, created_at).
--
-- CREATE INDEX locks writes to the table while it builds; on a large table
-- build the indexes beforehand with CREATE INDEX CONCURRENTLY under these
-- names, and this migration skips them.
ALTER TABLE nusapay_payments ADD COLUMN IF NOT EXISTS customer_email varchar(255);
--bun:split
UPDATE nusapay_payments SET customer_email = lower(customer->>'email')
WHERE customer_email IS NULL AND customer->>'email' IS NOT NULL AND customer->>'email' <> '';
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_payments_customer_email_idx ON nusapay_payments (customer_email, created_at);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_payments_created_idx ON nusapay_payments (created_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_payments_order_id_c_idx ON nusapay_payments (order_id COLLATE "C");
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_outbox_payment_seq_idx ON nusapay_outbox (payment_id, seq);
