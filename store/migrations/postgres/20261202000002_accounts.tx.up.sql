-- Accounts: every row belongs to one merchant account; rows from before
-- accounts belong to 'default'. Uniqueness of order ids, transaction ids and
-- notification dedup keys becomes per account (constraint names are kept,
-- the store recognises violations by them), and the indexes behind claims,
-- sweeps and lookups lead with the account.
ALTER TABLE nusapay_payments ADD COLUMN account varchar(64) NOT NULL DEFAULT 'default';
--bun:split
ALTER TABLE nusapay_payments DROP CONSTRAINT nusapay_payments_order_id_key;
--bun:split
ALTER TABLE nusapay_payments ADD CONSTRAINT nusapay_payments_order_id_key UNIQUE (account, order_id);
--bun:split
DROP INDEX nusapay_payments_transaction_id_key;
--bun:split
CREATE UNIQUE INDEX nusapay_payments_transaction_id_key
    ON nusapay_payments (account, transaction_id) WHERE transaction_id IS NOT NULL;
--bun:split
DROP INDEX nusapay_payments_status_created_idx;
--bun:split
DROP INDEX nusapay_payments_status_expires_idx;
--bun:split
DROP INDEX nusapay_payments_status_updated_idx;
--bun:split
CREATE INDEX nusapay_payments_status_created_idx ON nusapay_payments (account, status, created_at);
--bun:split
CREATE INDEX nusapay_payments_status_expires_idx ON nusapay_payments (account, status, expires_at);
--bun:split
CREATE INDEX nusapay_payments_status_updated_idx ON nusapay_payments (account, status, updated_at);
--bun:split
ALTER TABLE nusapay_payment_events ADD COLUMN account varchar(64) NOT NULL DEFAULT 'default';
--bun:split
DROP INDEX nusapay_payment_events_payment_idx;
--bun:split
CREATE INDEX nusapay_payment_events_payment_idx ON nusapay_payment_events (account, payment_id, id);
--bun:split
ALTER TABLE nusapay_refunds ADD COLUMN account varchar(64) NOT NULL DEFAULT 'default';
--bun:split
DROP INDEX nusapay_refunds_payment_idx;
--bun:split
CREATE INDEX nusapay_refunds_payment_idx ON nusapay_refunds (account, payment_id, created_at);
--bun:split
ALTER TABLE nusapay_inbox ADD COLUMN account varchar(64) NOT NULL DEFAULT 'default';
--bun:split
ALTER TABLE nusapay_inbox DROP CONSTRAINT nusapay_inbox_dedup_key_key;
--bun:split
ALTER TABLE nusapay_inbox ADD CONSTRAINT nusapay_inbox_dedup_key_key UNIQUE (account, dedup_key);
--bun:split
DROP INDEX nusapay_inbox_order_idx;
--bun:split
DROP INDEX nusapay_inbox_state_idx;
--bun:split
CREATE INDEX nusapay_inbox_order_idx ON nusapay_inbox (account, order_id, received_at);
--bun:split
CREATE INDEX nusapay_inbox_state_idx ON nusapay_inbox (account, state, received_at);
--bun:split
ALTER TABLE nusapay_outbox ADD COLUMN account varchar(64) NOT NULL DEFAULT 'default';
--bun:split
DROP INDEX nusapay_outbox_due_idx;
--bun:split
DROP INDEX nusapay_outbox_payment_idx;
--bun:split
CREATE INDEX nusapay_outbox_due_idx ON nusapay_outbox (account, next_attempt_at, seq)
    WHERE delivered_at IS NULL AND NOT dead;
--bun:split
CREATE INDEX nusapay_outbox_payment_idx ON nusapay_outbox (account, payment_id, seq)
    WHERE delivered_at IS NULL AND NOT dead;
