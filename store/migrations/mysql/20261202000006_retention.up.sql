-- Retention (payments.WithRetention, Service.PruneOnce): the store deletes
-- old delivered events and finished notifications in small batches with
-- DELETE … ORDER BY … LIMIT, each in index order:
--   * outbox: the claim index (account, dead, delivered_at,
--     next_attempt_at, seq) already serves account = ? AND dead = FALSE AND
--     delivered_at < ?, ordered by delivered_at, next_attempt_at, seq;
--   * inbox: (account, state, processed_at), new here, serves
--     account = ? AND state IN (…) AND processed_at < ?, ordered by state,
--     processed_at, id (InnoDB appends the primary key).
--
-- Not a .tx migration (see 20261202000004); every statement may run again.
-- MySQL 8 has no CREATE INDEX IF NOT EXISTS, so the index is added by an
-- ALTER TABLE prepared only while it is missing; the migrator runs a
-- non-.tx migration on one connection, so the session variable and the
-- prepared statement survive from one statement to the next.
SET @nusapay_retention = IF(
    EXISTS (SELECT 1 FROM information_schema.statistics
            WHERE table_schema = DATABASE() AND table_name = 'nusapay_inbox' AND index_name = 'nusapay_inbox_finished_idx'),
    'DO 0',
    'ALTER TABLE nusapay_inbox ADD KEY nusapay_inbox_finished_idx (account, state, processed_at)');
--bun:split
PREPARE nusapay_retention FROM @nusapay_retention;
--bun:split
EXECUTE nusapay_retention;
--bun:split
DEALLOCATE PREPARE nusapay_retention;
