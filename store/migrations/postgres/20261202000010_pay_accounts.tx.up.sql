-- Linked pay accounts (payments.PaymentAccount, GoPay tokenization): one
-- row per Midtrans account_id in an account, tied to the host's customer.
-- options holds the payment options with their balances and tokens (a
-- token charges the customer again: the table is as sensitive as the
-- server key's reach).
CREATE TABLE IF NOT EXISTS nusapay_pay_accounts (
    id                 varchar(36)  PRIMARY KEY,
    account            varchar(64)  NOT NULL DEFAULT 'default',
    account_id         varchar(64)  NOT NULL,
    customer_id        varchar(255) NOT NULL,
    payment_type       varchar(32)  NOT NULL,
    status             varchar(16)  NOT NULL,
    activation_url     text         NOT NULL DEFAULT '',
    activation_app_url text         NOT NULL DEFAULT '',
    options            text,
    version            bigint       NOT NULL,
    created_at         timestamptz  NOT NULL,
    updated_at         timestamptz  NOT NULL,
    CONSTRAINT nusapay_pay_accounts_account_id_key UNIQUE (account, account_id)
);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_pay_accounts_customer_idx ON nusapay_pay_accounts (account, customer_id, created_at, id);
