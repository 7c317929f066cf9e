-- Staff actions (payments.StaffAction): who asked for which operation,
-- event requeue or notification replay, recorded before it runs and
-- finished after. A payment's audit rows carry the actor of the action
-- that made them ('' for changes nobody asked for by name).
--
-- The index leads with the order id (a timeline reads one order's
-- actions), never the account (see 20261202000002).
ALTER TABLE nusapay_payment_events ADD COLUMN IF NOT EXISTS actor varchar(128) NOT NULL DEFAULT '';
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_staff_actions (
    id          bigserial    PRIMARY KEY,
    account     varchar(64)  NOT NULL DEFAULT 'default',
    order_id    varchar(255) NOT NULL,
    actor       varchar(128) NOT NULL DEFAULT '',
    action      varchar(32)  NOT NULL,
    detail      text,
    result      varchar(16)  NOT NULL,
    message     text         NOT NULL DEFAULT '',
    created_at  timestamptz  NOT NULL,
    finished_at timestamptz
);
--bun:split
CREATE INDEX IF NOT EXISTS nusapay_staff_actions_order_idx ON nusapay_staff_actions (order_id, id);
