-- DPoP proofs already used (RFC 9449 §11.1): one row per proof `jti` (hashed with its key's
-- thumbprint) until the proof's `iat` window has passed, so no instance accepts it twice.
-- Used only when Redis is not configured; the clean-up job deletes expired rows.
CREATE TABLE dpop_proofs (
    proof_key TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dpop_proofs_expires_at ON dpop_proofs (expires_at);
