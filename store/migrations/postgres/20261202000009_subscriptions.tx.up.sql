-- Subscriptions (payments.Subscription): Midtrans' recurring charges of a
-- saved card token or a linked GoPay account. A name is unique per account
-- because Midtrans makes the charges' order ids from it, and that is how a
-- charge finds its subscription; a Midtrans id is unique per account once
-- known. token is the secret Midtrans charges (never logged).
--
-- A subscription's charges are payments with subscription_id set.
--
-- Subscription events (subscription_created, subscription_disabled) are
-- outbox rows whose payment_id is the subscription's id: the outbox column
-- is the delivery order key, so the foreign key to nusapay_payments goes.
CREATE TABLE IF NOT EXISTS nusapay_subscriptions (
    id                varchar(36)  PRIMARY KEY,
    account           varchar(64)  NOT NULL DEFAULT 'default',
    midtrans_id       varchar(64),
    name              varchar(64)  NOT NULL,
    amount            bigint       NOT NULL CHECK (amount > 0),
    currency          varchar(3)   NOT NULL DEFAULT 'IDR',
    payment_type      varchar(32)  NOT NULL,
    token             text         NOT NULL,
    gopay_account_id  varchar(255) NOT NULL DEFAULT '',
    schedule_interval integer      NOT NULL,
    interval_unit     varchar(8)   NOT NULL,
    max_interval      integer      NOT NULL DEFAULT 0,
    start_time        timestamptz,
    current_interval  integer      NOT NULL DEFAULT 0,
    next_execution_at timestamptz,
    status            varchar(16)  NOT NULL,
    customer          text,
    metadata          text,
    version           bigint       NOT NULL DEFAULT 1,
    created_at        timestamptz  NOT NULL,
    updated_at        timestamptz  NOT NULL,
    CONSTRAINT nusapay_subscriptions_name_key UNIQUE (account, name),
    CONSTRAINT nusapay_subscriptions_midtrans_id_key UNIQUE (account, midtrans_id)
);
--bun:split
ALTER TABLE nusapay_payments ADD COLUMN IF NOT EXISTS subscription_id varchar(36);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_payments_subscription_idx ON nusapay_payments (subscription_id, created_at)
    WHERE subscription_id IS NOT NULL;
--bun:split
ALTER TABLE nusapay_outbox DROP CONSTRAINT IF EXISTS nusapay_outbox_payment_id_fkey;
