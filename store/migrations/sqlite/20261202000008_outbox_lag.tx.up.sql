-- Outbox lag (Store.OldestPendingEvent, the gauge
-- payments.outbox.oldest_pending_age): the account's oldest pending event
-- is the first row of an index on created_at, partial on pending events as
-- the claim index is (the query repeats its WHERE terms, so SQLite may use
-- it), and without the account (see 20261202000002).
CREATE INDEX IF NOT EXISTS nusapay_outbox_pending_created_idx ON nusapay_outbox (created_at)
    WHERE delivered_at IS NULL AND NOT dead;
