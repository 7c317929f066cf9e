-- Accounts: every row belongs to one merchant account; rows from before
-- accounts belong to 'default'. Uniqueness of order ids, transaction ids and
-- notification dedup keys becomes per account (constraint names are kept),
-- and the secondary indexes keep their columns (the rebuilt tables get them
-- back as they were): an account column in them lets a lookup by key be
-- planned onto a secondary index that shares the account.
--
-- SQLite cannot drop an inline UNIQUE constraint, so nusapay_payments and
-- nusapay_inbox are rebuilt. The audit, refund and outbox tables reference
-- nusapay_payments by name: dropping it counts their rows as deferred
-- foreign-key violations (defer_foreign_keys, as foreign_keys cannot be
-- switched off inside a transaction), and inserting the rows back into the
-- new table of the same name settles them before commit. So the rows are
-- parked in a holding table, not copied into a new table that is renamed
-- (a rename would leave the count standing and fail the commit).
PRAGMA defer_foreign_keys = ON;
--bun:split
-- Each parent row dropped and restored looks up its outbox rows; the
-- outbox's own payment index is partial and cannot serve that lookup.
CREATE INDEX nusapay_outbox_payment_fk_tmp ON nusapay_outbox (payment_id);
--bun:split
CREATE TABLE nusapay_payments_v1 AS SELECT * FROM nusapay_payments;
--bun:split
DROP TABLE nusapay_payments;
--bun:split
CREATE TABLE nusapay_payments (
    id              TEXT    PRIMARY KEY,
    order_id        TEXT    NOT NULL,
    transaction_id  TEXT,
    method          TEXT    NOT NULL,
    payment_type    TEXT    NOT NULL DEFAULT '',
    amount          INTEGER NOT NULL CHECK (amount > 0),
    currency        TEXT    NOT NULL DEFAULT 'IDR',
    status          TEXT    NOT NULL,
    fraud_status    TEXT    NOT NULL DEFAULT '',
    status_message  TEXT    NOT NULL DEFAULT '',
    instructions    TEXT    NOT NULL DEFAULT '{}',
    expires_at      TEXT,
    paid_at         TEXT,
    refunded_amount INTEGER NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
    customer        TEXT,
    items           TEXT,
    metadata        TEXT,
    custom_field1   TEXT    NOT NULL DEFAULT '',
    custom_field2   TEXT    NOT NULL DEFAULT '',
    custom_field3   TEXT    NOT NULL DEFAULT '',
    charge_response TEXT,
    transaction_time TEXT,
    settlement_time TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    synced_at       TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    account         TEXT    NOT NULL DEFAULT 'default',
    CONSTRAINT nusapay_payments_order_id_key UNIQUE (account, order_id)
);
--bun:split
INSERT INTO nusapay_payments (id, order_id, transaction_id, method, payment_type, amount, currency, status,
    fraud_status, status_message, instructions, expires_at, paid_at, refunded_amount, customer, items, metadata,
    custom_field1, custom_field2, custom_field3, charge_response, transaction_time, settlement_time, version, synced_at,
    created_at, updated_at)
SELECT id, order_id, transaction_id, method, payment_type, amount, currency, status,
    fraud_status, status_message, instructions, expires_at, paid_at, refunded_amount, customer, items, metadata,
    custom_field1, custom_field2, custom_field3, charge_response, transaction_time, settlement_time, version, synced_at,
    created_at, updated_at
FROM nusapay_payments_v1;
--bun:split
DROP TABLE nusapay_payments_v1;
--bun:split
CREATE UNIQUE INDEX nusapay_payments_transaction_id_key
    ON nusapay_payments (account, transaction_id) WHERE transaction_id IS NOT NULL;
--bun:split
CREATE INDEX nusapay_payments_status_created_idx ON nusapay_payments (status, created_at);
--bun:split
CREATE INDEX nusapay_payments_status_expires_idx ON nusapay_payments (status, expires_at);
--bun:split
CREATE INDEX nusapay_payments_status_updated_idx ON nusapay_payments (status, updated_at);
--bun:split
ALTER TABLE nusapay_payment_events ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
--bun:split
ALTER TABLE nusapay_refunds ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
--bun:split
CREATE TABLE nusapay_inbox_v2 (
    id              TEXT    PRIMARY KEY,
    dedup_key       TEXT    NOT NULL,
    order_id        TEXT    NOT NULL DEFAULT '',
    transaction_id  TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT '',
    signature_valid INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '',
    body            TEXT    NOT NULL,
    received_at     TEXT    NOT NULL,
    processed_at    TEXT,
    account         TEXT    NOT NULL DEFAULT 'default',
    CONSTRAINT nusapay_inbox_dedup_key_key UNIQUE (account, dedup_key)
);
--bun:split
INSERT INTO nusapay_inbox_v2 (id, dedup_key, order_id, transaction_id, status, signature_valid, state, detail,
    body, received_at, processed_at)
SELECT id, dedup_key, order_id, transaction_id, status, signature_valid, state, detail,
    body, received_at, processed_at
FROM nusapay_inbox;
--bun:split
DROP TABLE nusapay_inbox;
--bun:split
ALTER TABLE nusapay_inbox_v2 RENAME TO nusapay_inbox;
--bun:split
CREATE INDEX nusapay_inbox_order_idx ON nusapay_inbox (order_id, received_at);
--bun:split
CREATE INDEX nusapay_inbox_state_idx ON nusapay_inbox (state, received_at);
--bun:split
ALTER TABLE nusapay_outbox ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
