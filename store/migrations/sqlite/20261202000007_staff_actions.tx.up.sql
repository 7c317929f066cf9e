-- Staff actions (payments.StaffAction): who asked for which operation,
-- event requeue or notification replay, recorded before it runs and
-- finished after. A payment's audit rows carry the actor of the action
-- that made them ('' for changes nobody asked for by name).
--
-- The index leads with the order id (a timeline reads one order's
-- actions), never the account (see 20261202000002).
ALTER TABLE nusapay_payment_events ADD COLUMN actor TEXT NOT NULL DEFAULT '';
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_staff_actions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account     TEXT    NOT NULL DEFAULT 'default',
    order_id    TEXT    NOT NULL,
    actor       TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL,
    detail      TEXT,
    result      TEXT    NOT NULL,
    message     TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL,
    finished_at TEXT
);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_staff_actions_order_idx ON nusapay_staff_actions (order_id, id);
