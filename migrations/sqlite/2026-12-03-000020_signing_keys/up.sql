-- Signing keys made by `bouncer keys generate`, shared by every instance (src/keyring/).
-- `sealed_key` is base64(nonce || AES-256-GCM(private key)) under `key_encryption_secret`,
-- with the kid and algorithm as associated data: a sealed key cannot be moved to another row.
-- state: "next" (published in the JWKS, not signing yet), "active" (signs; exactly one),
-- "retired" (verifies until `verify_until`, when every token it signed has expired).
CREATE TABLE signing_keys (
    kid VARCHAR(64) PRIMARY KEY NOT NULL,
    algorithm VARCHAR(16) NOT NULL,
    sealed_key TEXT NOT NULL,
    state VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL,
    activated_at BIGINT,
    retired_at BIGINT,
    verify_until BIGINT
);
-- At most one active key, whatever instances or commands race to make one.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active';
