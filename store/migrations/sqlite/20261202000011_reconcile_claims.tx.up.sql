-- Reconcile claims (Store.ClaimReconcile): the reconciler's replicas claim
-- due payments by marking them synced, and a claim reads only what is due.
-- Long-pending payments, which may stay pending for days and be many, are
-- found through (status, synced_at, created_at): the never-synced ones old
-- enough (synced_at IS NULL AND created_at <= ?) and those synced long
-- enough ago (synced_at <= ?), each a range of the index. Through
-- (status, created_at) alone, the synced_at filter came after the index,
-- and every claim read every long-pending payment. Like the others, the
-- index does not lead with the account (see 20261202000002).
CREATE INDEX IF NOT EXISTS nusapay_payments_reconcile_idx ON nusapay_payments (status, synced_at, created_at);
