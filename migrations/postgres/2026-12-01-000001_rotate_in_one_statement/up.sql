-- Refresh-token rotation as one statement, so a refresh costs one round trip to PostgreSQL
-- instead of a BEGIN, four statements and a COMMIT. The logic is the SQLite path's in
-- src/db/tokens.rs (`rotate`), step for step; both are tested by the same suite.
--
-- Exactly-once across instances: the INSERT ... ON CONFLICT DO NOTHING on the unique jti is
-- the conditional write; a concurrent second insert waits for the first to commit and then
-- inserts nothing, which is the replay signal. The replay branch revokes the session and
-- announces it (pg_notify is delivered only if this transaction commits). The announcement's
-- text is `RevocationNotice`'s format (src/db/notify.rs): "s <sid> <until>".
--
-- One BIGINT answers, so the call is a plain `SELECT bouncer_rotate(...)` that the client can
-- keep prepared: 0 rotated, -1 no active user, -2 session already revoked, and a positive
-- value for a replay: the revoked session's expiry.
CREATE FUNCTION bouncer_rotate(
    old_jti TEXT,
    old_sid TEXT,
    old_user_id BIGINT,
    old_expires_at BIGINT,
    blacklist_old BOOLEAN,
    new_jti TEXT,            -- NULL when rotation is off
    new_created_at BIGINT,
    new_expires_at BIGINT,
    access_horizon BIGINT,
    now_ts BIGINT
) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    user_active BOOLEAN;
    first_use BOOLEAN;
    latest_refresh BIGINT;
    revoked_until BIGINT;
BEGIN
    SELECT is_active INTO user_active FROM users WHERE id = old_user_id;
    IF user_active IS DISTINCT FROM TRUE THEN
        RETURN -1;
    END IF;
    PERFORM 1 FROM revoked_sessions WHERE sid = old_sid;
    IF FOUND THEN
        RETURN -2;
    END IF;
    IF blacklist_old THEN
        INSERT INTO blacklisted_tokens (jti, token_type, expires_at, blacklisted_at)
        VALUES (old_jti, 'refresh', old_expires_at, now_ts)
        ON CONFLICT DO NOTHING;
        first_use := FOUND;
    ELSE
        first_use := NOT EXISTS (SELECT 1 FROM blacklisted_tokens WHERE jti = old_jti);
    END IF;
    IF NOT first_use THEN
        SELECT max(expires_at) INTO latest_refresh FROM outstanding_tokens WHERE sid = old_sid;
        revoked_until := greatest(coalesce(latest_refresh, 0), access_horizon);
        INSERT INTO revoked_sessions (sid, user_id, expires_at, revoked_at)
        VALUES (old_sid, old_user_id, revoked_until, now_ts)
        ON CONFLICT DO NOTHING;
        PERFORM pg_notify('bouncer_revocations', 's ' || old_sid || ' ' || revoked_until);
        RETURN revoked_until;
    END IF;
    IF new_jti IS NOT NULL THEN
        INSERT INTO outstanding_tokens (jti, user_id, sid, token_type, created_at, expires_at)
        VALUES (new_jti, old_user_id, old_sid, 'refresh', new_created_at, new_expires_at);
    END IF;
    RETURN 0;
END;
$$;
