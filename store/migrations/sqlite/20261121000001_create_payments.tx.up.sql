CREATE TABLE IF NOT EXISTS nusapay_payments (
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
    version         INTEGER NOT NULL DEFAULT 1,
    synced_at       TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    CONSTRAINT nusapay_payments_order_id_key UNIQUE (order_id)
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS nusapay_payments_transaction_id_key
    ON nusapay_payments (transaction_id) WHERE transaction_id IS NOT NULL;
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_payments_status_created_idx ON nusapay_payments (status, created_at);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_payments_status_expires_idx ON nusapay_payments (status, expires_at);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_payments_status_updated_idx ON nusapay_payments (status, updated_at);
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_payment_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id    TEXT    NOT NULL REFERENCES nusapay_payments (id),
    order_id      TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    from_status   TEXT    NOT NULL,
    from_fraud    TEXT    NOT NULL DEFAULT '',
    from_refunded INTEGER NOT NULL DEFAULT 0,
    to_status     TEXT    NOT NULL,
    to_fraud      TEXT    NOT NULL DEFAULT '',
    to_refunded   INTEGER NOT NULL DEFAULT 0,
    decision      TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    payload       TEXT,
    created_at    TEXT    NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_payment_events_payment_idx ON nusapay_payment_events (payment_id, id);
--bun:split
CREATE TRIGGER IF NOT EXISTS nusapay_payment_events_no_update
    BEFORE UPDATE ON nusapay_payment_events
BEGIN
    SELECT RAISE(ABORT, 'nusapay_payment_events is append-only');
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS nusapay_payment_events_no_delete
    BEFORE DELETE ON nusapay_payment_events
BEGIN
    SELECT RAISE(ABORT, 'nusapay_payment_events is append-only');
END;
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_refunds (
    id          TEXT    PRIMARY KEY,
    payment_id  TEXT    NOT NULL REFERENCES nusapay_payments (id),
    order_id    TEXT    NOT NULL,
    refund_key  TEXT    NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount > 0),
    reason      TEXT    NOT NULL DEFAULT '',
    direct      INTEGER NOT NULL DEFAULT 0,
    status      TEXT    NOT NULL,
    status_code TEXT    NOT NULL DEFAULT '',
    message     TEXT    NOT NULL DEFAULT '',
    response    TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    CONSTRAINT nusapay_refunds_refund_key_key UNIQUE (refund_key)
);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_refunds_payment_idx ON nusapay_refunds (payment_id, created_at);
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_inbox (
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
    CONSTRAINT nusapay_inbox_dedup_key_key UNIQUE (dedup_key)
);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_inbox_order_idx ON nusapay_inbox (order_id, received_at);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_inbox_state_idx ON nusapay_inbox (state, received_at);
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_outbox (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id         TEXT    NOT NULL,
    payment_id       TEXT    NOT NULL REFERENCES nusapay_payments (id),
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
    CONSTRAINT nusapay_outbox_event_id_key UNIQUE (event_id)
);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_outbox_due_idx ON nusapay_outbox (next_attempt_at, seq)
    WHERE delivered_at IS NULL AND NOT dead;
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_outbox_payment_idx ON nusapay_outbox (payment_id, seq)
    WHERE delivered_at IS NULL AND NOT dead;
