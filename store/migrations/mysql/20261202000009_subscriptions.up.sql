-- Subscriptions (payments.Subscription): see the PostgreSQL migration of
-- the same number for what the table holds and why.
--
-- Not a .tx migration (see 20261202000004); every statement may run again.
-- The column, its index and the outbox's foreign key are changed by
-- statements prepared only while the change is still to be made (see
-- 20261202000005).
CREATE TABLE IF NOT EXISTS nusapay_subscriptions (
    id                VARCHAR(36)  NOT NULL,
    account           VARCHAR(64)  NOT NULL DEFAULT 'default',
    midtrans_id       VARCHAR(64)  NULL,
    name              VARCHAR(64)  NOT NULL,
    amount            BIGINT       NOT NULL,
    currency          VARCHAR(3)   NOT NULL DEFAULT 'IDR',
    payment_type      VARCHAR(32)  NOT NULL,
    token             TEXT         NOT NULL,
    gopay_account_id  VARCHAR(255) NOT NULL DEFAULT '',
    schedule_interval INT          NOT NULL,
    interval_unit     VARCHAR(8)   NOT NULL,
    max_interval      INT          NOT NULL DEFAULT 0,
    start_time        DATETIME(6)  NULL,
    current_interval  INT          NOT NULL DEFAULT 0,
    next_execution_at DATETIME(6)  NULL,
    status            VARCHAR(16)  NOT NULL,
    customer          LONGTEXT     NULL,
    metadata          LONGTEXT     NULL,
    version           BIGINT       NOT NULL DEFAULT 1,
    created_at        DATETIME(6)  NOT NULL,
    updated_at        DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY nusapay_subscriptions_name_key (account, name),
    UNIQUE KEY nusapay_subscriptions_midtrans_id_key (account, midtrans_id),
    CONSTRAINT nusapay_subscriptions_amount_check CHECK (amount > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
--bun:split
SET @nusapay_subs = IF(
    EXISTS (SELECT 1 FROM information_schema.columns
            WHERE table_schema = DATABASE() AND table_name = 'nusapay_payments' AND column_name = 'subscription_id'),
    'DO 0',
    'ALTER TABLE nusapay_payments ADD COLUMN subscription_id VARCHAR(36) NULL,
         ADD KEY nusapay_payments_subscription_idx (account, subscription_id, created_at)');
--bun:split
PREPARE nusapay_subs FROM @nusapay_subs;
--bun:split
EXECUTE nusapay_subs;
--bun:split
DEALLOCATE PREPARE nusapay_subs;
--bun:split
SET @nusapay_outbox_fk = IF(
    EXISTS (SELECT 1 FROM information_schema.table_constraints
            WHERE constraint_schema = DATABASE() AND table_name = 'nusapay_outbox'
              AND constraint_name = 'nusapay_outbox_payment_id_fkey' AND constraint_type = 'FOREIGN KEY'),
    'ALTER TABLE nusapay_outbox DROP FOREIGN KEY nusapay_outbox_payment_id_fkey',
    'DO 0');
--bun:split
PREPARE nusapay_outbox_fk FROM @nusapay_outbox_fk;
--bun:split
EXECUTE nusapay_outbox_fk;
--bun:split
DEALLOCATE PREPARE nusapay_outbox_fk;
