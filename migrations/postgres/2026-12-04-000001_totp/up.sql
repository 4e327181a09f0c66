-- Two-factor login with an authenticator app (RFC 6238; src/service/mfa.rs).

-- One authenticator per user: pending (confirmed false) from `POST /auth/mfa/totp/` until a
-- first code confirms it. `secret` is "sealed:" + base64(nonce || AES-256-GCM(secret)) under
-- key_encryption_secret when that is set, else "plain:" + the base32 secret.
-- `last_step`: the newest RFC 6238 time step whose code was accepted; a code of that step or
-- an older one is refused (replay protection, RFC 6238 section 5.2).
CREATE TABLE totp_devices (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    confirmed BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_step BIGINT NOT NULL
);

-- Recovery codes: only their SHA-256 is stored; a used code's row is deleted.
CREATE TABLE recovery_codes (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX recovery_codes_user_code ON recovery_codes (user_id, code_hash);

-- Logins waiting for their second factor: the SHA-256 of the `mfa_token` given with the
-- 401 mfa_required. Deleted when spent (single use); expired rows go with the clean-up.
CREATE TABLE mfa_challenges (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    cookie_mode BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX mfa_challenges_expires_at ON mfa_challenges (expires_at);
