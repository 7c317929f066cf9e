-- Retention (payments.WithRetention, Service.PruneOnce): the store deletes
-- old delivered events and finished notifications in small batches, each
-- bound by an index that leads with the column it selects on, never the
-- account (see 20261202000002):
--   * outbox (delivered_at), partial on delivered rows: pending events,
--     which the claim index serves, stay out of it;
--   * inbox (state, processed_at): finished notifications by the time they
--     finished, one range per finished state.
--
-- CREATE INDEX locks writes to the table while it builds; on a large table
-- build the indexes beforehand with CREATE INDEX CONCURRENTLY under these
-- names, and this migration skips them.
CREATE INDEX IF NOT EXISTS nusapay_outbox_delivered_idx ON nusapay_outbox (delivered_at)
    WHERE delivered_at IS NOT NULL;
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_inbox_finished_idx ON nusapay_inbox (state, processed_at);
