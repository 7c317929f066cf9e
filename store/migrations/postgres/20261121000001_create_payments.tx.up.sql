CREATE TABLE IF NOT EXISTS nusapay_payments (
    id              varchar(36)  PRIMARY KEY,
    order_id        varchar(255) NOT NULL,
    transaction_id  varchar(255),
    method          varchar(64)  NOT NULL,
    payment_type    varchar(64)  NOT NULL DEFAULT '',
    amount          bigint       NOT NULL CHECK (amount > 0),
    currency        varchar(3)   NOT NULL DEFAULT 'IDR',
    status          varchar(64)  NOT NULL,
    fraud_status    varchar(32)  NOT NULL DEFAULT '',
    status_message  text         NOT NULL DEFAULT '',
    instructions    jsonb        NOT NULL DEFAULT '{}',
    expires_at      timestamptz,
    paid_at         timestamptz,
    refunded_amount bigint       NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
    customer        jsonb,
    items           jsonb,
    metadata        jsonb,
    custom_field1   varchar(255) NOT NULL DEFAULT '',
    custom_field2   varchar(255) NOT NULL DEFAULT '',
    custom_field3   varchar(255) NOT NULL DEFAULT '',
    charge_response text,
    version         bigint       NOT NULL DEFAULT 1,
    synced_at       timestamptz,
    created_at      timestamptz  NOT NULL,
    updated_at      timestamptz  NOT NULL,
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
    id            bigserial    PRIMARY KEY,
    payment_id    varchar(36)  NOT NULL REFERENCES nusapay_payments (id),
    order_id      varchar(255) NOT NULL,
    source        varchar(32)  NOT NULL,
    from_status   varchar(64)  NOT NULL,
    from_fraud    varchar(32)  NOT NULL DEFAULT '',
    from_refunded bigint       NOT NULL DEFAULT 0,
    to_status     varchar(64)  NOT NULL,
    to_fraud      varchar(32)  NOT NULL DEFAULT '',
    to_refunded   bigint       NOT NULL DEFAULT 0,
    decision      varchar(16)  NOT NULL,
    reason        text         NOT NULL,
    payload       text,
    created_at    timestamptz  NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_payment_events_payment_idx ON nusapay_payment_events (payment_id, id);
--bun:split
CREATE OR REPLACE FUNCTION nusapay_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'nusapay_payment_events is append-only';
END;
$$;
--bun:split
DROP TRIGGER IF EXISTS nusapay_payment_events_append_only ON nusapay_payment_events;
--bun:split
CREATE TRIGGER nusapay_payment_events_append_only
    BEFORE UPDATE OR DELETE ON nusapay_payment_events
    FOR EACH ROW EXECUTE FUNCTION nusapay_append_only();
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_refunds (
    id          varchar(36)  PRIMARY KEY,
    payment_id  varchar(36)  NOT NULL REFERENCES nusapay_payments (id),
    order_id    varchar(255) NOT NULL,
    refund_key  varchar(64)  NOT NULL,
    amount      bigint       NOT NULL CHECK (amount > 0),
    reason      varchar(255) NOT NULL DEFAULT '',
    direct      boolean      NOT NULL DEFAULT false,
    status      varchar(16)  NOT NULL,
    status_code varchar(8)   NOT NULL DEFAULT '',
    message     text         NOT NULL DEFAULT '',
    response    text,
    created_at  timestamptz  NOT NULL,
    updated_at  timestamptz  NOT NULL,
    CONSTRAINT nusapay_refunds_refund_key_key UNIQUE (refund_key)
);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_refunds_payment_idx ON nusapay_refunds (payment_id, created_at);
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_inbox (
    id              varchar(36)  PRIMARY KEY,
    dedup_key       varchar(255) NOT NULL,
    order_id        varchar(255) NOT NULL DEFAULT '',
    transaction_id  varchar(255) NOT NULL DEFAULT '',
    status          varchar(64)  NOT NULL DEFAULT '',
    signature_valid boolean      NOT NULL,
    state           varchar(16)  NOT NULL,
    detail          text         NOT NULL DEFAULT '',
    body            text         NOT NULL,
    received_at     timestamptz  NOT NULL,
    processed_at    timestamptz,
    CONSTRAINT nusapay_inbox_dedup_key_key UNIQUE (dedup_key)
);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_inbox_order_idx ON nusapay_inbox (order_id, received_at);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_inbox_state_idx ON nusapay_inbox (state, received_at);
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_outbox (
    seq              bigserial    PRIMARY KEY,
    event_id         varchar(36)  NOT NULL,
    payment_id       varchar(36)  NOT NULL REFERENCES nusapay_payments (id),
    order_id         varchar(255) NOT NULL,
    topic            varchar(64)  NOT NULL,
    payload          text         NOT NULL,
    attempts         integer      NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz  NOT NULL,
    lease_owner      varchar(255),
    lease_expires_at timestamptz,
    delivered_at     timestamptz,
    dead             boolean      NOT NULL DEFAULT false,
    last_error       text         NOT NULL DEFAULT '',
    created_at       timestamptz  NOT NULL,
    CONSTRAINT nusapay_outbox_event_id_key UNIQUE (event_id)
);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_outbox_due_idx ON nusapay_outbox (next_attempt_at, seq)
    WHERE delivered_at IS NULL AND NOT dead;
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_outbox_payment_idx ON nusapay_outbox (payment_id, seq)
    WHERE delivered_at IS NULL AND NOT dead;
