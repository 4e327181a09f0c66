DROP FUNCTION bouncer_rotate_batch(TEXT[], TEXT[], BIGINT[], BIGINT[], BOOLEAN[], TEXT[], TEXT[], BIGINT[], BIGINT[], BIGINT[], BIGINT[], BIGINT);
DROP FUNCTION bouncer_rotate(TEXT, TEXT, BIGINT, BIGINT, BOOLEAN, TEXT, TEXT, BIGINT, BIGINT, BIGINT, BIGINT, BIGINT);
ALTER TABLE blacklisted_tokens DROP COLUMN successor_access_jti;
ALTER TABLE blacklisted_tokens DROP COLUMN successor_jti;
DROP TABLE sessions;
-- The functions as they were (2026-12-01-000001 and 2026-12-01-000003).
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
CREATE FUNCTION bouncer_rotate_batch(
    old_jtis TEXT[],
    old_sids TEXT[],
    old_user_ids BIGINT[],
    old_expires_ats BIGINT[],
    blacklist_olds BOOLEAN[],
    new_jtis TEXT[],            -- NULL entries when rotation is off
    new_created_ats BIGINT[],
    new_expires_ats BIGINT[],
    access_horizons BIGINT[],
    now_tss BIGINT[]
) RETURNS BIGINT[]
LANGUAGE plpgsql AS $$
DECLARE
    answers BIGINT[] := '{}';
    answer BIGINT;
BEGIN
    FOR i IN 1 .. coalesce(array_length(old_jtis, 1), 0) LOOP
        BEGIN
            answer := bouncer_rotate(
                old_jtis[i], old_sids[i], old_user_ids[i], old_expires_ats[i], blacklist_olds[i],
                new_jtis[i], new_created_ats[i], new_expires_ats[i], access_horizons[i], now_tss[i]
            );
        EXCEPTION WHEN OTHERS THEN
            answer := -3;
        END;
        answers := answers || answer;
    END LOOP;
    RETURN answers;
END;
$$;
