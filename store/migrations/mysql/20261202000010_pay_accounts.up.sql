-- Linked pay accounts (payments.PaymentAccount, GoPay tokenization): one
-- row per Midtrans account_id in an account, tied to the host's customer.
-- options holds the payment options with their balances and tokens (a
-- token charges the customer again: the table is as sensitive as the
-- server key's reach).
--
-- Not a .tx migration (see 20261202000004); the statement may run again.
CREATE TABLE IF NOT EXISTS nusapay_pay_accounts (
    id                 VARCHAR(36)  NOT NULL,
    account            VARCHAR(64)  NOT NULL DEFAULT 'default',
    account_id         VARCHAR(64)  NOT NULL,
    customer_id        VARCHAR(255) NOT NULL,
    payment_type       VARCHAR(32)  NOT NULL,
    status             VARCHAR(16)  NOT NULL,
    activation_url     TEXT         NOT NULL,
    activation_app_url TEXT         NOT NULL,
    options            LONGTEXT     NULL,
    version            BIGINT       NOT NULL,
    created_at         DATETIME(6)  NOT NULL,
    updated_at         DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY nusapay_pay_accounts_account_id_key (account, account_id),
    KEY nusapay_pay_accounts_customer_idx (account, customer_id, created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
