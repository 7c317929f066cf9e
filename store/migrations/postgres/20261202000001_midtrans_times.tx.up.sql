ALTER TABLE nusapay_payments ADD COLUMN IF NOT EXISTS transaction_time timestamptz;
--bun:split
ALTER TABLE nusapay_payments ADD COLUMN IF NOT EXISTS settlement_time timestamptz;
