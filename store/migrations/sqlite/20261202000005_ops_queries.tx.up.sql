-- Queries for the ops console and command (ListPayments, Timeline).
--
-- customer_email is the customer's email lower-cased (payments.EmailKey),
-- written by the store on insert; rows from before are filled from the
-- customer JSON. The new indexes lead with the column they select on, never
-- the account (see 20261202000002):
--   * (customer_email, created_at): a search by email, newest first;
--   * (created_at, id): the whole list, newest first, in keyset order;
--   * outbox (payment_id, seq): a timeline's events, delivered and dead
--     ones included, which the partial claim index leaves out.
-- An order id prefix is a byte range on (account, order_id), whose BINARY
-- collation compares bytes; a status with a creation range keeps using
-- (status, created_at).
ALTER TABLE nusapay_payments ADD COLUMN customer_email TEXT;
--bun:split
UPDATE nusapay_payments SET customer_email = lower(json_extract(customer, '$.email'))
WHERE customer_email IS NULL AND customer IS NOT NULL AND json_extract(customer, '$.email') <> '';
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_payments_customer_email_idx ON nusapay_payments (customer_email, created_at);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_payments_created_idx ON nusapay_payments (created_at, id);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_outbox_payment_seq_idx ON nusapay_outbox (payment_id, seq);
