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
-- blacklisted_at), so a retry inside the window is answered with the same pair, re-signed.
-- Never the tokens themselves.
ALTER TABLE blacklisted_tokens ADD COLUMN successor_jti TEXT;
ALTER TABLE blacklisted_tokens ADD COLUMN successor_access_jti TEXT;
