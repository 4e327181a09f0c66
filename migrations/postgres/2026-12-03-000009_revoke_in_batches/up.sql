-- Logout and blacklist in batches, as refresh is (2026-12-01-000003): each instance sends the
-- revocations waiting at a given moment together, so a batch costs one round trip and one
-- commit instead of a savepoint, four or five statements and a release per revocation on the
-- writer's connection. The steps are src/db/tokens.rs's `revoke` (SQLite's path), step for step, in one
-- subtransaction per revocation: one that fails answers 0 and leaves the others alone.
--
-- Exactly-once: the blacklist's unique jti. A second revocation of the same token, in this
-- batch or a concurrent one of another instance, inserts nothing and answers "already".
--
-- Lock order: the caller sorts a batch by (sid, jti), and each revocation inserts its session's
-- row before its token's, so every batch takes the unique-index locks it may wait on in one
-- order (a session, then that session's tokens), and concurrent batches of several instances
-- cannot deadlock on them.
--
-- The announcements (src/db/notify.rs's format) are delivered only if the batch commits.
--
-- One answer per revocation, in order: the session's revoked-until (the latest expiry of its
-- refresh tokens, or the access horizon if later), positive when the token was newly
-- blacklisted, negated when it already was; 0 when the revocation failed and wrote nothing.
CREATE FUNCTION bouncer_revoke_batch(
    jtis TEXT[],
    token_types TEXT[],         -- 'access' or 'refresh'
    expires_ats BIGINT[],
    sids TEXT[],
    user_ids BIGINT[],
    access_horizons BIGINT[],
    now_tss BIGINT[]
) RETURNS BIGINT[]
LANGUAGE plpgsql AS $$
DECLARE
    answers BIGINT[] := '{}';
    answer BIGINT;
    latest_refresh BIGINT;
    revoked_until BIGINT;
BEGIN
    FOR i IN 1 .. coalesce(array_length(jtis, 1), 0) LOOP
        BEGIN
            SELECT max(expires_at) INTO latest_refresh FROM outstanding_tokens WHERE sid = sids[i];
            revoked_until := greatest(coalesce(latest_refresh, 0), access_horizons[i]);
            INSERT INTO revoked_sessions (sid, user_id, expires_at, revoked_at)
            VALUES (sids[i], user_ids[i], revoked_until, now_tss[i])
            ON CONFLICT DO NOTHING;
            INSERT INTO blacklisted_tokens (jti, token_type, expires_at, blacklisted_at)
            VALUES (jtis[i], token_types[i], expires_ats[i], now_tss[i])
            ON CONFLICT DO NOTHING;
            answer := CASE WHEN FOUND THEN revoked_until ELSE -revoked_until END;
            -- Access tokens are held in every instance's memory list; refresh tokens are
            -- checked in the database (src/revocation/list.rs), so only the session is news.
            IF token_types[i] = 'access' THEN
                PERFORM pg_notify('bouncer_revocations', 't ' || jtis[i] || ' ' || expires_ats[i]);
            END IF;
            PERFORM pg_notify('bouncer_revocations', 's ' || sids[i] || ' ' || revoked_until);
        EXCEPTION WHEN OTHERS THEN
            answer := 0;
        END;
        answers := answers || answer;
    END LOOP;
    RETURN answers;
END;
$$;
