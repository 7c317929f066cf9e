-- Linked pay accounts (payments.PaymentAccount, GoPay tokenization): one
-- row per Midtrans account_id in an account, tied to the host's customer.
-- options holds the payment options with their balances and tokens (a
-- token charges the customer again: the table is as sensitive as the
-- server key's reach).
CREATE TABLE IF NOT EXISTS nusapay_pay_accounts (
    id                 TEXT    PRIMARY KEY,
    account            TEXT    NOT NULL DEFAULT 'default',
    account_id         TEXT    NOT NULL,
    customer_id        TEXT    NOT NULL,
    payment_type       TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    activation_url     TEXT    NOT NULL DEFAULT '',
    activation_app_url TEXT    NOT NULL DEFAULT '',
    options            TEXT,
    version            INTEGER NOT NULL,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    CONSTRAINT nusapay_pay_accounts_account_id_key UNIQUE (account, account_id)
);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_pay_accounts_customer_idx ON nusapay_pay_accounts (account, customer_id, created_at, id);
