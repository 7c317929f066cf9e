-- Functions that write what the store has planned, in one call each. They
-- decide nothing: every value comes from the store, which planned the
-- change with the module's rules in Go.
--
-- Why functions: their statements' plans are cached in the server session
-- (PL/pgSQL), where the same statements sent as text were planned on every
-- call, the larger part of their cost. They need no prepared statement of
-- the client's, so they work behind PgBouncer in transaction pooling mode.

-- nusapay_append_change appends a change's audit row and its outbox rows
-- (new, due at p_events_at), returning ('e', event id, seq) per outbox row
-- in the order given.
CREATE OR REPLACE FUNCTION nusapay_append_change(
    p_audit_account text, p_audit_payment_id text, p_audit_order_id text, p_source text, p_actor text,
    p_from_status text, p_from_fraud text, p_from_refunded bigint, p_to_status text, p_to_fraud text,
    p_to_refunded bigint, p_decision text, p_reason text, p_payload text, p_audit_created_at timestamptz,
    p_event_ids text[], p_event_accounts text[], p_event_payment_ids text[], p_event_order_ids text[],
    p_topics text[], p_payloads text[], p_events_at timestamptz
) RETURNS TABLE (kind text, ref text, seq bigint)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO nusapay_payment_events (account, payment_id, order_id, source, actor, from_status, from_fraud,
        from_refunded, to_status, to_fraud, to_refunded, decision, reason, payload, created_at)
    VALUES (p_audit_account, p_audit_payment_id, p_audit_order_id, p_source, p_actor, p_from_status, p_from_fraud,
        p_from_refunded, p_to_status, p_to_fraud, p_to_refunded, p_decision, p_reason, p_payload, p_audit_created_at);
    IF cardinality(p_event_ids) > 0 THEN
        RETURN QUERY WITH e AS (
            INSERT INTO nusapay_outbox AS o (event_id, account, payment_id, order_id, topic, payload, attempts,
                next_attempt_at, dead, last_error, created_at)
            SELECT x.event_id, x.account, x.payment_id, x.order_id, x.topic, x.payload, 0, p_events_at, false, '',
                p_events_at
            FROM unnest(p_event_ids, p_event_accounts, p_event_payment_ids, p_event_order_ids, p_topics, p_payloads)
                WITH ORDINALITY AS x (event_id, account, payment_id, order_id, topic, payload, n)
            ORDER BY x.n
            RETURNING o.event_id, o.seq
        )
        SELECT 'e'::text, e.event_id::text, e.seq FROM e;
    END IF;
END
$$;

-- nusapay_create_payment inserts a payment, with its audit row and outbox
-- rows (nusapay_append_change), unless its order id exists in its account:
-- then it writes nothing and returns no row.
CREATE OR REPLACE FUNCTION nusapay_create_payment(
    p_id text, p_account text, p_order_id text, p_transaction_id text, p_method text, p_payment_type text,
    p_amount bigint, p_currency text, p_status text, p_fraud_status text, p_status_message text,
    p_instructions text, p_expires_at timestamptz, p_paid_at timestamptz, p_refunded_amount bigint,
    p_customer text, p_customer_email text, p_items text, p_metadata text, p_custom_field1 text,
    p_custom_field2 text, p_custom_field3 text, p_charge_response text, p_transaction_time timestamptz,
    p_settlement_time timestamptz, p_version bigint, p_synced_at timestamptz, p_created_at timestamptz,
    p_updated_at timestamptz, p_subscription_id text,
    p_audit_account text, p_audit_payment_id text, p_audit_order_id text, p_source text, p_actor text,
    p_from_status text, p_from_fraud text, p_from_refunded bigint, p_to_status text, p_to_fraud text,
    p_to_refunded bigint, p_decision text, p_reason text, p_payload text, p_audit_created_at timestamptz,
    p_event_ids text[], p_event_accounts text[], p_event_payment_ids text[], p_event_order_ids text[],
    p_topics text[], p_payloads text[], p_events_at timestamptz
) RETURNS TABLE (kind text, ref text, seq bigint)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO nusapay_payments (id, account, order_id, transaction_id, method, payment_type, amount, currency,
        status, fraud_status, status_message, instructions, expires_at, paid_at, refunded_amount, customer,
        customer_email, items, metadata, custom_field1, custom_field2, custom_field3, charge_response,
        transaction_time, settlement_time, version, synced_at, created_at, updated_at, subscription_id)
    VALUES (p_id, p_account, p_order_id, p_transaction_id, p_method, p_payment_type, p_amount, p_currency,
        p_status, p_fraud_status, p_status_message, p_instructions::jsonb, p_expires_at, p_paid_at,
        p_refunded_amount, p_customer::jsonb, p_customer_email, p_items::jsonb, p_metadata::jsonb,
        p_custom_field1, p_custom_field2, p_custom_field3, p_charge_response, p_transaction_time,
        p_settlement_time, p_version, p_synced_at, p_created_at, p_updated_at, p_subscription_id)
    ON CONFLICT (account, order_id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT 'u'::text, NULL::text, NULL::bigint;
    RETURN QUERY SELECT * FROM nusapay_append_change(p_audit_account, p_audit_payment_id, p_audit_order_id,
        p_source, p_actor, p_from_status, p_from_fraud, p_from_refunded, p_to_status, p_to_fraud, p_to_refunded,
        p_decision, p_reason, p_payload, p_audit_created_at, p_event_ids, p_event_accounts, p_event_payment_ids,
        p_event_order_ids, p_topics, p_payloads, p_events_at);
END
$$;

-- nusapay_write_change writes a change the store has planned against a
-- payment it read (version p_version): the compare-and-set, and only if it
-- holds, the notification's inbox row, the audit row and the outbox rows.
-- It decides nothing: every value, and which columns change (p_cols), comes
-- from the store, which planned the change with the module's rules.
--
-- Rows returned: ('f') a finished copy of the notification is stored and
-- nothing was written (for a plan that changes the payment, only when the
-- copy was there before the compare-and-set: one committed after it cannot
-- undo a change confirmed by its own report); none: the payment is no
-- longer at p_version (the store plans again); else ('n', inbox id) when
-- the inbox row was recorded, ('u'), and ('e', event id, seq) per outbox
-- row.
--
-- p_cols NULL: the row stays as it is, locked at p_version for the
-- transaction. p_dedup_key NULL: no notification. The audit and outbox rows:
-- nusapay_append_change.
CREATE OR REPLACE FUNCTION nusapay_write_change(
    p_finished text[],
    p_account text, p_payment_id text, p_version bigint, p_cols text[],
    p_transaction_id text, p_amount bigint, p_payment_type text, p_status text, p_fraud_status text,
    p_status_message text, p_instructions text, p_expires_at timestamptz, p_paid_at timestamptz,
    p_refunded_amount bigint, p_charge_response text, p_transaction_time timestamptz,
    p_settlement_time timestamptz, p_custom_field1 text, p_custom_field2 text, p_custom_field3 text,
    p_new_version bigint, p_updated_at timestamptz,
    p_dedup_key text, p_inbox_id text, p_inbox_order_id text, p_inbox_transaction_id text, p_inbox_status text,
    p_signature_valid boolean, p_state text, p_detail text, p_body text, p_received_at timestamptz,
    p_processed_at timestamptz,
    p_audit_account text, p_audit_payment_id text, p_audit_order_id text, p_source text, p_actor text,
    p_from_status text, p_from_fraud text, p_from_refunded bigint, p_to_status text, p_to_fraud text,
    p_to_refunded bigint, p_decision text, p_reason text, p_payload text, p_audit_created_at timestamptz,
    p_event_ids text[], p_event_accounts text[], p_event_payment_ids text[], p_event_order_ids text[],
    p_topics text[], p_payloads text[], p_events_at timestamptz
) RETURNS TABLE (kind text, ref text, seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_inbox_id text;
BEGIN
    IF p_dedup_key IS NOT NULL AND EXISTS (
        SELECT 1 FROM nusapay_inbox i
        WHERE i.account = p_account AND i.dedup_key = p_dedup_key AND i.state = ANY (p_finished)
    ) THEN
        RETURN QUERY SELECT 'f'::text, NULL::text, NULL::bigint;
        RETURN;
    END IF;

    IF p_cols IS NULL THEN
        PERFORM 1 FROM nusapay_payments p WHERE p.id = p_payment_id AND p.version = p_version FOR UPDATE;
    ELSE
        UPDATE nusapay_payments p SET
            transaction_id   = CASE WHEN 'transaction_id' = ANY (p_cols) THEN p_transaction_id ELSE p.transaction_id END,
            amount           = CASE WHEN 'amount' = ANY (p_cols) THEN p_amount ELSE p.amount END,
            payment_type     = CASE WHEN 'payment_type' = ANY (p_cols) THEN p_payment_type ELSE p.payment_type END,
            status           = CASE WHEN 'status' = ANY (p_cols) THEN p_status ELSE p.status END,
            fraud_status     = CASE WHEN 'fraud_status' = ANY (p_cols) THEN p_fraud_status ELSE p.fraud_status END,
            status_message   = CASE WHEN 'status_message' = ANY (p_cols) THEN p_status_message ELSE p.status_message END,
            instructions     = CASE WHEN 'instructions' = ANY (p_cols) THEN p_instructions::jsonb ELSE p.instructions END,
            expires_at       = CASE WHEN 'expires_at' = ANY (p_cols) THEN p_expires_at ELSE p.expires_at END,
            paid_at          = CASE WHEN 'paid_at' = ANY (p_cols) THEN p_paid_at ELSE p.paid_at END,
            refunded_amount  = CASE WHEN 'refunded_amount' = ANY (p_cols) THEN p_refunded_amount ELSE p.refunded_amount END,
            charge_response  = CASE WHEN 'charge_response' = ANY (p_cols) THEN p_charge_response ELSE p.charge_response END,
            transaction_time = CASE WHEN 'transaction_time' = ANY (p_cols) THEN p_transaction_time ELSE p.transaction_time END,
            settlement_time  = CASE WHEN 'settlement_time' = ANY (p_cols) THEN p_settlement_time ELSE p.settlement_time END,
            custom_field1    = CASE WHEN 'custom_field1' = ANY (p_cols) THEN p_custom_field1 ELSE p.custom_field1 END,
            custom_field2    = CASE WHEN 'custom_field2' = ANY (p_cols) THEN p_custom_field2 ELSE p.custom_field2 END,
            custom_field3    = CASE WHEN 'custom_field3' = ANY (p_cols) THEN p_custom_field3 ELSE p.custom_field3 END,
            version          = p_new_version,
            updated_at       = p_updated_at
        WHERE p.id = p_payment_id AND p.version = p_version;
    END IF;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    IF p_dedup_key IS NOT NULL THEN
        INSERT INTO nusapay_inbox AS i (id, account, dedup_key, order_id, transaction_id, status, signature_valid,
            state, detail, body, received_at, processed_at)
        VALUES (p_inbox_id, p_account, p_dedup_key, p_inbox_order_id, p_inbox_transaction_id, p_inbox_status,
            p_signature_valid, p_state, p_detail, p_body, p_received_at, p_processed_at)
        ON CONFLICT (account, dedup_key) DO UPDATE SET state = excluded.state, detail = excluded.detail,
            processed_at = excluded.processed_at
        WHERE i.state <> ALL (p_finished)
        RETURNING i.id INTO v_inbox_id;
        IF v_inbox_id IS NULL AND p_cols IS NULL THEN
            -- A copy finished meanwhile (it held the lock this call waited
            -- for) and this plan changes nothing: a duplicate, written by
            -- neither its audit row nor its events.
            RETURN QUERY SELECT 'f'::text, NULL::text, NULL::bigint;
            RETURN;
        END IF;
        IF v_inbox_id IS NOT NULL THEN
            RETURN QUERY SELECT 'n'::text, v_inbox_id, NULL::bigint;
        END IF;
    END IF;
    RETURN QUERY SELECT 'u'::text, NULL::text, NULL::bigint;

    RETURN QUERY SELECT * FROM nusapay_append_change(p_audit_account, p_audit_payment_id, p_audit_order_id,
        p_source, p_actor, p_from_status, p_from_fraud, p_from_refunded, p_to_status, p_to_fraud, p_to_refunded,
        p_decision, p_reason, p_payload, p_audit_created_at, p_event_ids, p_event_accounts, p_event_payment_ids,
        p_event_order_ids, p_topics, p_payloads, p_events_at);
END
$$;

-- The reads a notification and a change start with, for the plans' sake
-- too: a payment by its order id, a notification by its dedup key.
CREATE OR REPLACE FUNCTION nusapay_payment_by_order(p_account text, p_order_id text)
RETURNS SETOF nusapay_payments
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY SELECT * FROM nusapay_payments p WHERE p.account = p_account AND p.order_id = p_order_id;
END
$$;

CREATE OR REPLACE FUNCTION nusapay_inbox_by_key(p_account text, p_dedup_key text)
RETURNS SETOF nusapay_inbox
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY SELECT * FROM nusapay_inbox i WHERE i.account = p_account AND i.dedup_key = p_dedup_key;
END
$$;
