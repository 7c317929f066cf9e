-- Reconcile claims (Store.ClaimReconcile): the reconciler's replicas claim
-- due payments by marking them synced, and a claim reads only what is due.
-- Long-pending payments, which may stay pending for days and be many, are
-- found through (status, synced_at, created_at): after the equality
-- status = 'pending', synced_at IS NULL OR synced_at <= ? is one range
-- (NULL sorts first), and created_at is checked in the index. Through
-- (status, created_at) alone, the synced_at filter came after the index,
-- and every claim read every long-pending payment. Unlike the outbox
-- indexes it does not lead with the account, as the other payment indexes
-- do not: with the account first, the optimizer takes it for the claim of
-- unknown and expired payments (account = ? alone, every payment of the
-- account) instead of (status, updated_at) and (status, expires_at); the
-- EXPLAIN test holds both claims to their indexes.
--
-- Not a .tx migration (see 20261202000004); every statement may run again:
-- the index is added by an ALTER TABLE prepared only while it is missing
-- (see 20261202000006).
SET @nusapay_reconcile_claims = IF(
    EXISTS (SELECT 1 FROM information_schema.statistics
            WHERE table_schema = DATABASE() AND table_name = 'nusapay_payments' AND index_name = 'nusapay_payments_reconcile_idx'),
    'DO 0',
    'ALTER TABLE nusapay_payments ADD KEY nusapay_payments_reconcile_idx (status, synced_at, created_at)');
--bun:split
PREPARE nusapay_reconcile_claims FROM @nusapay_reconcile_claims;
--bun:split
EXECUTE nusapay_reconcile_claims;
--bun:split
DEALLOCATE PREPARE nusapay_reconcile_claims;
