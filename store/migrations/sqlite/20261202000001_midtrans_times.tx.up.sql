ALTER TABLE nusapay_payments ADD COLUMN transaction_time TEXT;
--bun:split
ALTER TABLE nusapay_payments ADD COLUMN settlement_time TEXT;
