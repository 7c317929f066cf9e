-- Refund keys are unique per payment, not across all payments.
ALTER TABLE nusapay_refunds DROP CONSTRAINT IF EXISTS nusapay_refunds_refund_key_key;
--bun:split
ALTER TABLE nusapay_refunds ADD CONSTRAINT nusapay_refunds_payment_key_key UNIQUE (payment_id, refund_key);
