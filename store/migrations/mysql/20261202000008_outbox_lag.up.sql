-- Outbox lag (Store.OldestPendingEvent, the gauge
-- payments.outbox.oldest_pending_age): the account's oldest pending event
-- is the first row of (account, dead, delivered_at, created_at) after the
-- equalities account = ?, dead = FALSE and delivered_at IS NULL, in order,
-- without a filesort. The claim index (account, dead, delivered_at,
-- next_attempt_at, seq) would read every pending event of the account and
-- sort them.
--
-- Not a .tx migration (see 20261202000004); every statement may run again:
-- the index is added by an ALTER TABLE prepared only while it is missing
-- (see 20261202000006).
SET @nusapay_outbox_lag = IF(
    EXISTS (SELECT 1 FROM information_schema.statistics
            WHERE table_schema = DATABASE() AND table_name = 'nusapay_outbox' AND index_name = 'nusapay_outbox_pending_created_idx'),
    'DO 0',
    'ALTER TABLE nusapay_outbox ADD KEY nusapay_outbox_pending_created_idx (account, dead, delivered_at, created_at)');
--bun:split
PREPARE nusapay_outbox_lag FROM @nusapay_outbox_lag;
--bun:split
EXECUTE nusapay_outbox_lag;
--bun:split
DEALLOCATE PREPARE nusapay_outbox_lag;
