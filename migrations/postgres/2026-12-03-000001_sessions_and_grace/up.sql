-- Device sessions (GET /auth/sessions/): who logged in, from where, when last seen. One row
-- per login session (`sid`): a refresh-token session or a `Token` key. Whether a session is
-- still live is not stored here: revoked_sessions, the latest refresh token's expiry and
-- auth_keys say it, as they always have.
CREATE TABLE sessions (
    sid TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- 'refresh' or 'key'.
    kind TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- When the session started. A refresh session's last use is its latest rotation, read from
    -- outstanding_tokens when the list is asked for: updating this row on every refresh would
    -- cost each refresh a second write (and on PostgreSQL a new row version and index entries).
    last_used_at BIGINT NOT NULL,
    -- The absolute end of the session: login + session_lifetime, a key's expiry, or NULL for
    -- a key that never expires. Rows past it are deleted by the clean-up job.
    expires_at BIGINT
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- The refresh grace window: a rotated token's row remembers what it was rotated into (the
-- successor refresh token's jti and its access token's jti; both were minted at

-- The refresh grace window: a rotated token's row remembers what it was rotated into (the
-- successor refresh token's jti and its access token's jti; both were minted at
-- blacklisted_at), so a retry inside the window is answered with the same pair, re-signed.
-- Never the tokens themselves.
ALTER TABLE blacklisted_tokens ADD COLUMN successor_jti TEXT;
ALTER TABLE blacklisted_tokens ADD COLUMN successor_access_jti TEXT;

-- Rotation learns the grace window, so its answer becomes text:
--   '0' rotated, '-1' no active user, '-2' session already revoked, '-3' (batch) failed,
--   'R <until>' a replay: the session is now revoked until <until>,
--   'G <successor jti> <access jti> <minted at>' a retry inside the grace window: the
--   predecessor of the session's current refresh token, rotated at most grace_seconds ago;
--   nothing is written and the caller re-signs the same pair.
-- Otherwise the steps are those of 2026-12-01-000001 (and src/db/tokens.rs for SQLite).
DROP FUNCTION bouncer_rotate_batch(TEXT[], TEXT[], BIGINT[], BIGINT[], BOOLEAN[], TEXT[], BIGINT[], BIGINT[], BIGINT[], BIGINT[]);
DROP FUNCTION bouncer_rotate(TEXT, TEXT, BIGINT, BIGINT, BOOLEAN, TEXT, BIGINT, BIGINT, BIGINT, BIGINT);

CREATE FUNCTION bouncer_rotate(
    old_jti TEXT,
    old_sid TEXT,
    old_user_id BIGINT,
    old_expires_at BIGINT,
    blacklist_old BOOLEAN,
    new_jti TEXT,            -- NULL when rotation is off
    new_access_jti TEXT,
    new_created_at BIGINT,
    new_expires_at BIGINT,
    access_horizon BIGINT,
    now_ts BIGINT,
    grace_seconds BIGINT
) RETURNS TEXT
LANGUAGE plpgsql AS $$
DECLARE
    user_active BOOLEAN;
    first_use BOOLEAN;
    latest_refresh BIGINT;
    revoked_until BIGINT;
    s_jti TEXT;
    s_access_jti TEXT;
    s_at BIGINT;
BEGIN
    SELECT is_active INTO user_active FROM users WHERE id = old_user_id;
    IF user_active IS DISTINCT FROM TRUE THEN
        RETURN '-1';
    END IF;
    PERFORM 1 FROM revoked_sessions WHERE sid = old_sid;
    IF FOUND THEN
        RETURN '-2';
    END IF;
    IF blacklist_old THEN
        -- A concurrent rotation of the same token waits here for the first to commit, then
        -- inserts nothing and reads the first one's successor below.
        INSERT INTO blacklisted_tokens
            (jti, token_type, expires_at, blacklisted_at, successor_jti, successor_access_jti)
        VALUES (old_jti, 'refresh', old_expires_at, now_ts, new_jti, new_access_jti)
        ON CONFLICT DO NOTHING;
        first_use := FOUND;
    ELSE
        first_use := NOT EXISTS (SELECT 1 FROM blacklisted_tokens WHERE jti = old_jti);
    END IF;
    IF NOT first_use THEN
        IF grace_seconds > 0 THEN
            SELECT successor_jti, successor_access_jti, blacklisted_at
              INTO s_jti, s_access_jti, s_at
              FROM blacklisted_tokens WHERE jti = old_jti;
            IF s_jti IS NOT NULL AND s_access_jti IS NOT NULL
               AND now_ts - s_at <= grace_seconds
               AND NOT EXISTS (SELECT 1 FROM blacklisted_tokens WHERE jti = s_jti) THEN
                RETURN 'G ' || s_jti || ' ' || s_access_jti || ' ' || s_at;
            END IF;
        END IF;
        SELECT max(expires_at) INTO latest_refresh FROM outstanding_tokens WHERE sid = old_sid;
        revoked_until := greatest(coalesce(latest_refresh, 0), access_horizon);
        INSERT INTO revoked_sessions (sid, user_id, expires_at, revoked_at)
        VALUES (old_sid, old_user_id, revoked_until, now_ts)
        ON CONFLICT DO NOTHING;
        PERFORM pg_notify('bouncer_revocations', 's ' || old_sid || ' ' || revoked_until);
        RETURN 'R ' || revoked_until;
    END IF;
    IF new_jti IS NOT NULL THEN
        INSERT INTO outstanding_tokens (jti, user_id, sid, token_type, created_at, expires_at)
        VALUES (new_jti, old_user_id, old_sid, 'refresh', new_created_at, new_expires_at);
    END IF;
    RETURN '0';
END;
$$;

-- As in 2026-12-01-000003: each rotation in its own subtransaction, one answer each.
CREATE FUNCTION bouncer_rotate_batch(
    old_jtis TEXT[],
    old_sids TEXT[],
    old_user_ids BIGINT[],
    old_expires_ats BIGINT[],
    blacklist_olds BOOLEAN[],
    new_jtis TEXT[],            -- NULL entries when rotation is off
    new_access_jtis TEXT[],
    new_created_ats BIGINT[],
    new_expires_ats BIGINT[],
    access_horizons BIGINT[],
    now_tss BIGINT[],
    grace_seconds BIGINT
) RETURNS TEXT[]
LANGUAGE plpgsql AS $$
DECLARE
    answers TEXT[] := '{}';
    answer TEXT;
BEGIN
    FOR i IN 1 .. coalesce(array_length(old_jtis, 1), 0) LOOP
        BEGIN
            answer := bouncer_rotate(
                old_jtis[i], old_sids[i], old_user_ids[i], old_expires_ats[i], blacklist_olds[i],
                new_jtis[i], new_access_jtis[i], new_created_ats[i], new_expires_ats[i],
                access_horizons[i], now_tss[i], grace_seconds
            );
        EXCEPTION WHEN OTHERS THEN
            answer := '-3';
        END;
        answers := answers || answer;
    END LOOP;
    RETURN answers;
END;
$$;
