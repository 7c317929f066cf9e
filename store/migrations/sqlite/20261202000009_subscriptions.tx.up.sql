-- Subscriptions (payments.Subscription): see the PostgreSQL migration of
-- the same number for what the table holds and why.
--
-- SQLite cannot drop a foreign key, so nusapay_outbox is rebuilt without
-- the one to nusapay_payments. Nothing references the outbox, so a copy
-- renamed into place is enough; the AUTOINCREMENT counter is carried over
-- so that seqs of pruned events are never handed out again.
CREATE TABLE IF NOT EXISTS nusapay_subscriptions (
    id                TEXT    PRIMARY KEY,
    account           TEXT    NOT NULL DEFAULT 'default',
    midtrans_id       TEXT,
    name              TEXT    NOT NULL,
    amount            INTEGER NOT NULL CHECK (amount > 0),
    currency          TEXT    NOT NULL DEFAULT 'IDR',
    payment_type      TEXT    NOT NULL,
    token             TEXT    NOT NULL,
    gopay_account_id  TEXT    NOT NULL DEFAULT '',
    schedule_interval INTEGER NOT NULL,
    interval_unit     TEXT    NOT NULL,
    max_interval      INTEGER NOT NULL DEFAULT 0,
    start_time        TEXT,
    current_interval  INTEGER NOT NULL DEFAULT 0,
    next_execution_at TEXT,
    status            TEXT    NOT NULL,
    customer          TEXT,
    metadata          TEXT,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    CONSTRAINT nusapay_subscriptions_name_key UNIQUE (account, name),
    CONSTRAINT nusapay_subscriptions_midtrans_id_key UNIQUE (account, midtrans_id)
);
--bun:split
ALTER TABLE nusapay_payments ADD COLUMN subscription_id TEXT;
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_payments_subscription_idx ON nusapay_payments (subscription_id, created_at)
    WHERE subscription_id IS NOT NULL;
--bun:split
CREATE TABLE nusapay_outbox_seq_v9 AS SELECT seq FROM sqlite_sequence WHERE name = 'nusapay_outbox';
--bun:split
CREATE TABLE nusapay_outbox_v9 (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id         TEXT    NOT NULL,
    payment_id       TEXT    NOT NULL,
    order_id         TEXT    NOT NULL,
    topic            TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT    NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    delivered_at     TEXT,
    dead             INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    created_at       TEXT    NOT NULL,
    account          TEXT    NOT NULL DEFAULT 'default',
    CONSTRAINT nusapay_outbox_event_id_key UNIQUE (event_id)
);
--bun:split
INSERT INTO nusapay_outbox_v9 (seq, event_id, payment_id, order_id, topic, payload, attempts, next_attempt_at,
    lease_owner, lease_expires_at, delivered_at, dead, last_error, created_at, account)
SELECT seq, event_id, payment_id, order_id, topic, payload, attempts, next_attempt_at,
    lease_owner, lease_expires_at, delivered_at, dead, last_error, created_at, account
FROM nusapay_outbox;
--bun:split
DROP TABLE nusapay_outbox;
--bun:split
ALTER TABLE nusapay_outbox_v9 RENAME TO nusapay_outbox;
--bun:split
UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT seq FROM nusapay_outbox_seq_v9))
WHERE name = 'nusapay_outbox' AND EXISTS (SELECT 1 FROM nusapay_outbox_seq_v9);
--bun:split
INSERT INTO sqlite_sequence (name, seq)
SELECT 'nusapay_outbox', seq FROM nusapay_outbox_seq_v9
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'nusapay_outbox');
--bun:split
DROP TABLE nusapay_outbox_seq_v9;
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_outbox_due_idx ON nusapay_outbox (next_attempt_at, seq)
    WHERE delivered_at IS NULL AND NOT dead;
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_outbox_payment_idx ON nusapay_outbox (payment_id, seq)
    WHERE delivered_at IS NULL AND NOT dead;
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_outbox_payment_seq_idx ON nusapay_outbox (payment_id, seq);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_outbox_delivered_idx ON nusapay_outbox (delivered_at)
    WHERE delivered_at IS NOT NULL;
--bun:split
-- 20261202000008_outbox_lag's index, which the rebuild above dropped with
-- the old table.
CREATE INDEX IF NOT EXISTS nusapay_outbox_pending_created_idx ON nusapay_outbox (created_at)
    WHERE delivered_at IS NULL AND NOT dead;
