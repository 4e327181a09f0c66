-- Every refresh token issued (never its text): lets a revoked session be bounded in time
-- and lets an operator see which sessions a user has.
CREATE TABLE outstanding_tokens (
    id BIGSERIAL PRIMARY KEY,
    jti TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sid TEXT NOT NULL,
    token_type TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX outstanding_tokens_sid ON outstanding_tokens (sid);
CREATE INDEX outstanding_tokens_user_id ON outstanding_tokens (user_id);
CREATE INDEX outstanding_tokens_expires_at ON outstanding_tokens (expires_at);

-- Revoked tokens by jti. The UNIQUE constraint is what makes rotation single-use:
-- only one insert of a given jti can succeed.
CREATE TABLE blacklisted_tokens (
    id BIGSERIAL PRIMARY KEY,
    jti TEXT NOT NULL UNIQUE,
    token_type TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    blacklisted_at BIGINT NOT NULL
);
CREATE INDEX blacklisted_tokens_expires_at ON blacklisted_tokens (expires_at);
CREATE INDEX blacklisted_tokens_type_expires_at ON blacklisted_tokens (token_type, expires_at);

-- Revoked login sessions: every token carrying this sid is refused until expires_at,
-- the latest expiry of any token the session could still hold.
CREATE TABLE revoked_sessions (
    sid TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_sessions_expires_at ON revoked_sessions (expires_at);
