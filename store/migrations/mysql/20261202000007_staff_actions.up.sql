-- Staff actions (payments.StaffAction): who asked for which operation,
-- event requeue or notification replay, recorded before it runs and
-- finished after. A payment's audit rows carry the actor of the action
-- that made them ('' for changes nobody asked for by name).
--
-- Not a .tx migration (see 20261202000004); every statement may run again.
-- MySQL 8 has no ADD COLUMN IF NOT EXISTS, so the column is added by an
-- ALTER TABLE prepared only while it is missing (see 20261202000005).
SET @nusapay_actor = IF(
    EXISTS (SELECT 1 FROM information_schema.columns
            WHERE table_schema = DATABASE() AND table_name = 'nusapay_payment_events' AND column_name = 'actor'),
    'DO 0',
    'ALTER TABLE nusapay_payment_events ADD COLUMN actor VARCHAR(128) NOT NULL DEFAULT \'\'');
--bun:split
PREPARE nusapay_actor FROM @nusapay_actor;
--bun:split
EXECUTE nusapay_actor;
--bun:split
DEALLOCATE PREPARE nusapay_actor;
--bun:split
CREATE TABLE IF NOT EXISTS nusapay_staff_actions (
    id          BIGINT       NOT NULL AUTO_INCREMENT,
    account     VARCHAR(64)  NOT NULL DEFAULT 'default',
    order_id    VARCHAR(255) NOT NULL,
    actor       VARCHAR(128) NOT NULL DEFAULT '',
    action      VARCHAR(32)  NOT NULL,
    detail      LONGTEXT     NULL,
    result      VARCHAR(16)  NOT NULL,
    message     TEXT         NOT NULL,
    created_at  DATETIME(6)  NOT NULL,
    finished_at DATETIME(6)  NULL,
    PRIMARY KEY (id),
    KEY nusapay_staff_actions_order_idx (account, order_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
