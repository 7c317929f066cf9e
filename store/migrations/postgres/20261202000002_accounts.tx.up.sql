-- Accounts: every row belongs to one merchant account; rows from before
-- accounts belong to 'default'. Uniqueness of order ids, transaction ids and
-- notification dedup keys becomes per account (constraint names are kept,
-- the store recognises violations by them). The secondary indexes stay as
-- they are, without the account: their leading columns (payment ids,
-- statuses, due times) select as well, and an account column in them lets
-- the planner, before a table has statistics, plan a lookup by primary key
-- onto a secondary index that shares the account and one more column.
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
ALTER TABLE nusapay_payment_events ADD COLUMN account varchar(64) NOT NULL DEFAULT 'default';
--bun:split
ALTER TABLE nusapay_refunds ADD COLUMN account varchar(64) NOT NULL DEFAULT 'default';
--bun:split
ALTER TABLE nusapay_inbox ADD COLUMN account varchar(64) NOT NULL DEFAULT 'default';
--bun:split
ALTER TABLE nusapay_inbox DROP CONSTRAINT nusapay_inbox_dedup_key_key;
--bun:split
ALTER TABLE nusapay_inbox ADD CONSTRAINT nusapay_inbox_dedup_key_key UNIQUE (account, dedup_key);
--bun:split
ALTER TABLE nusapay_outbox ADD COLUMN account varchar(64) NOT NULL DEFAULT 'default';
