-- Outbox lag (Store.OldestPendingEvent, the gauge
-- payments.outbox.oldest_pending_age): the account's oldest pending event
-- is the first row of an index on created_at, partial on pending events as
-- the claim index is, so delivered and dead events stay out of it. It does
-- not lead with the account (see 20261202000002): the account is checked
-- on the rows it reads, from the oldest on, and the first one of the
-- account ends the scan. While few events are pending, the planner may
-- read a claim's candidates through this index as well as through the
-- claim index (both hold the same rows); with many, the claim keeps the
-- claim index's order.
--
-- CREATE INDEX locks writes to the table while it builds; on a large table
-- build the index beforehand with CREATE INDEX CONCURRENTLY under this
-- name, and this migration skips it.
CREATE INDEX IF NOT EXISTS nusapay_outbox_pending_created_idx ON nusapay_outbox (created_at)
    WHERE delivered_at IS NULL AND NOT dead;
