-- MySQL 8 and MariaDB 10.6+ never had the earlier schema, so one migration
-- creates the final one: the schema PostgreSQL and SQLite reach with
-- 20261202000003. Its version sorts after theirs, so "version V applied"
-- means the same schema on every database; the next migration of the
-- module takes the next version in all three directories.
--
-- Not a .tx migration: MySQL commits implicitly around every DDL
-- statement, so a transaction would promise an atomicity it cannot keep.
-- Instead every statement may run again (IF NOT EXISTS, DROP TRIGGER IF
-- EXISTS): a replica that died midway leaves a schema the next Migrate
-- completes. Indexes are declared inside CREATE TABLE because MySQL has no
-- CREATE INDEX IF NOT EXISTS.
--
-- Choices that differ from PostgreSQL:
--   * utf8mb4 with the binary collation utf8mb4_bin, so order ids, dedup
--     keys and refund keys compare byte for byte as on PostgreSQL (the
--     default collations fold case and accents: "ORDER-1" would collide
--     with "order-1"). Like every PAD SPACE collation it ignores trailing
--     spaces in comparisons.
--   * DATETIME(6), always UTC: OpenMySQL sets loc=UTC and the session
--     time_zone to +00:00, and the store writes UTC at microsecond precision.
--   * JSON for the columns the store itself marshals (instructions,
--     customer, items) or PostgreSQL types jsonb (metadata): always valid
--     JSON, checked by the server. LONGTEXT for bodies kept byte for byte
--     (charge_response, payload, body, response), as PostgreSQL's text.
--   * No partial indexes: a UNIQUE index allows any number of NULL
--     transaction ids, and the outbox indexes lead with the equality columns
--     of the claim (account, dead, delivered_at IS NULL) so the claim stays
--     index-bound, in (next_attempt_at, seq) order, without a filesort.
CREATE TABLE IF NOT EXISTS nusapay_payments (
    id               VARCHAR(36)  NOT NULL,
    account          VARCHAR(64)  NOT NULL DEFAULT 'default',
    order_id         VARCHAR(255) NOT NULL,
    transaction_id   VARCHAR(255) NULL,
    method           VARCHAR(64)  NOT NULL,
    payment_type     VARCHAR(64)  NOT NULL DEFAULT '',
    amount           BIGINT       NOT NULL,
    currency         VARCHAR(3)   NOT NULL DEFAULT 'IDR',
    status           VARCHAR(64)  NOT NULL,
    fraud_status     VARCHAR(32)  NOT NULL DEFAULT '',
    status_message   TEXT         NOT NULL DEFAULT (''),
    instructions     JSON         NOT NULL DEFAULT ('{}'),
    expires_at       DATETIME(6)  NULL,
    paid_at          DATETIME(6)  NULL,
    refunded_amount  BIGINT       NOT NULL DEFAULT 0,
    customer         JSON         NULL,
    items            JSON         NULL,
    metadata         JSON         NULL,
    custom_field1    VARCHAR(255) NOT NULL DEFAULT '',
    custom_field2    VARCHAR(255) NOT NULL DEFAULT '',
    custom_field3    VARCHAR(255) NOT NULL DEFAULT '',
    charge_response  LONGTEXT     NULL,
    transaction_time DATETIME(6)  NULL,
    settlement_time  DATETIME(6)  NULL,
    version          BIGINT       NOT NULL DEFAULT 1,
    synced_at        DATETIME(6)  NULL,
    created_at       DATETIME(6)  NOT NULL,
    updated_at       DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT nusapay_payments_amount_check CHECK (amount > 0),
    CONSTRAINT nusapay_payments_refunded_amount_check CHECK (refunded_amount >= 0),
    UNIQUE KEY nusapay_payments_order_id_key (account, order_id),
    UNIQUE KEY nusapay_payments_transaction_id_key (account, transaction_id),
    KEY nusapay_payments_status_created_idx (status, created_at),
    KEY nusapay_payments_status_expires_idx (status, expires_at),
    KEY nusapay_payments_status_updated_idx (status, updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_payment_events (
    id            BIGINT       NOT NULL AUTO_INCREMENT,
    account       VARCHAR(64)  NOT NULL DEFAULT 'default',
    payment_id    VARCHAR(36)  NOT NULL,
    order_id      VARCHAR(255) NOT NULL,
    source        VARCHAR(32)  NOT NULL,
    from_status   VARCHAR(64)  NOT NULL,
    from_fraud    VARCHAR(32)  NOT NULL DEFAULT '',
    from_refunded BIGINT       NOT NULL DEFAULT 0,
    to_status     VARCHAR(64)  NOT NULL,
    to_fraud      VARCHAR(32)  NOT NULL DEFAULT '',
    to_refunded   BIGINT       NOT NULL DEFAULT 0,
    decision      VARCHAR(16)  NOT NULL,
    reason        TEXT         NOT NULL,
    payload       LONGTEXT     NULL,
    created_at    DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    KEY nusapay_payment_events_payment_idx (payment_id, id),
    CONSTRAINT nusapay_payment_events_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES nusapay_payments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
--bun:split
-- The audit trail is append-only, as on PostgreSQL and SQLite.
DROP TRIGGER IF EXISTS nusapay_payment_events_no_update;
--bun:split
CREATE TRIGGER nusapay_payment_events_no_update BEFORE UPDATE ON nusapay_payment_events
FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'nusapay_payment_events is append-only';
--bun:split
DROP TRIGGER IF EXISTS nusapay_payment_events_no_delete;
--bun:split
CREATE TRIGGER nusapay_payment_events_no_delete BEFORE DELETE ON nusapay_payment_events
FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'nusapay_payment_events is append-only';
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_refunds (
    id          VARCHAR(36)  NOT NULL,
    account     VARCHAR(64)  NOT NULL DEFAULT 'default',
    payment_id  VARCHAR(36)  NOT NULL,
    order_id    VARCHAR(255) NOT NULL,
    refund_key  VARCHAR(64)  NOT NULL,
    amount      BIGINT       NOT NULL,
    reason      VARCHAR(255) NOT NULL DEFAULT '',
    direct      BOOLEAN      NOT NULL DEFAULT FALSE,
    status      VARCHAR(16)  NOT NULL,
    status_code VARCHAR(8)   NOT NULL DEFAULT '',
    message     TEXT         NOT NULL DEFAULT (''),
    response    LONGTEXT     NULL,
    created_at  DATETIME(6)  NOT NULL,
    updated_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT nusapay_refunds_amount_check CHECK (amount > 0),
    UNIQUE KEY nusapay_refunds_payment_key_key (payment_id, refund_key),
    KEY nusapay_refunds_payment_idx (payment_id, created_at),
    CONSTRAINT nusapay_refunds_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES nusapay_payments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_inbox (
    id              VARCHAR(36)  NOT NULL,
    account         VARCHAR(64)  NOT NULL DEFAULT 'default',
    dedup_key       VARCHAR(255) NOT NULL,
    order_id        VARCHAR(255) NOT NULL DEFAULT '',
    transaction_id  VARCHAR(255) NOT NULL DEFAULT '',
    status          VARCHAR(64)  NOT NULL DEFAULT '',
    signature_valid BOOLEAN      NOT NULL,
    state           VARCHAR(16)  NOT NULL,
    detail          TEXT         NOT NULL DEFAULT (''),
    body            LONGTEXT     NOT NULL,
    received_at     DATETIME(6)  NOT NULL,
    processed_at    DATETIME(6)  NULL,
    PRIMARY KEY (id),
    UNIQUE KEY nusapay_inbox_dedup_key_key (account, dedup_key),
    KEY nusapay_inbox_order_idx (order_id, received_at),
    KEY nusapay_inbox_state_idx (state, received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_outbox (
    seq              BIGINT       NOT NULL AUTO_INCREMENT,
    event_id         VARCHAR(36)  NOT NULL,
    account          VARCHAR(64)  NOT NULL DEFAULT 'default',
    payment_id       VARCHAR(36)  NOT NULL,
    order_id         VARCHAR(255) NOT NULL,
    topic            VARCHAR(64)  NOT NULL,
    payload          LONGTEXT     NOT NULL,
    attempts         INT          NOT NULL DEFAULT 0,
    next_attempt_at  DATETIME(6)  NOT NULL,
    lease_owner      VARCHAR(255) NULL,
    lease_expires_at DATETIME(6)  NULL,
    delivered_at     DATETIME(6)  NULL,
    dead             BOOLEAN      NOT NULL DEFAULT FALSE,
    last_error       TEXT         NOT NULL DEFAULT (''),
    created_at       DATETIME(6)  NOT NULL,
    PRIMARY KEY (seq),
    UNIQUE KEY nusapay_outbox_event_id_key (event_id),
    -- The claim: account, dead = FALSE and delivered_at IS NULL are
    -- equalities, then due time and seq in the claim's order.
    KEY nusapay_outbox_due_idx (account, dead, delivered_at, next_attempt_at, seq),
    -- The claim's per-payment ordering check (an older undelivered event of
    -- the same payment), and the foreign key's index.
    KEY nusapay_outbox_payment_idx (payment_id, dead, delivered_at, seq),
    CONSTRAINT nusapay_outbox_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES nusapay_payments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
