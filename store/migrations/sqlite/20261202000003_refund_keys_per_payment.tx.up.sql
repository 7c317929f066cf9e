-- Refund keys are unique per payment, not across all payments. SQLite cannot
-- drop a table constraint: the table is rebuilt (nothing references it).
CREATE TABLE nusapay_refunds_next (
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
    account     TEXT    NOT NULL DEFAULT 'default',
    CONSTRAINT nusapay_refunds_payment_key_key UNIQUE (payment_id, refund_key)
);
--bun:split
INSERT INTO nusapay_refunds_next (id, payment_id, order_id, refund_key, amount, reason, direct, status, status_code,
    message, response, created_at, updated_at, account)
SELECT id, payment_id, order_id, refund_key, amount, reason, direct, status, status_code,
    message, response, created_at, updated_at, account FROM nusapay_refunds;
--bun:split
DROP TABLE nusapay_refunds;
--bun:split
ALTER TABLE nusapay_refunds_next RENAME TO nusapay_refunds;
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_refunds_payment_idx ON nusapay_refunds (payment_id, created_at);
