-- Outbox lag (Store.OldestPendingEvent, the gauge
-- payments.outbox.oldest_pending_age): the account's oldest pending event
-- is the first row of (dead, delivered_at, account, created_at) after the
-- equalities dead = FALSE, delivered_at IS NULL and account = ?, in order,
-- without a filesort. The claim index (account, dead, delivered_at,
-- next_attempt_at, seq) would read every pending event of the account and
-- sort them. This one does not lead with the account, unlike the others:
-- with the account first it would share the claim index's three leading
-- columns, and the optimizer would take it for a prune (account = ? AND
-- dead = FALSE AND delivered_at < ?), then sort; leading with dead and
-- delivered_at, it is no use to a prune or a claim, which keep the claim
-- index (the EXPLAIN tests prove it for the prune).
--
-- Not a .tx migration (see 20261202000004); every statement may run again:
-- the index is added by an ALTER TABLE prepared only while it is missing
-- (see 20261202000006).
SET @nusapay_outbox_lag = IF(
    EXISTS (SELECT 1 FROM information_schema.statistics
            WHERE table_schema = DATABASE() AND table_name = 'nusapay_outbox' AND index_name = 'nusapay_outbox_pending_created_idx'),
    'DO 0',
    'ALTER TABLE nusapay_outbox ADD KEY nusapay_outbox_pending_created_idx (dead, delivered_at, account, created_at)');
--bun:split
PREPARE nusapay_outbox_lag FROM @nusapay_outbox_lag;
--bun:split
EXECUTE nusapay_outbox_lag;
--bun:split
DEALLOCATE PREPARE nusapay_outbox_lag;
