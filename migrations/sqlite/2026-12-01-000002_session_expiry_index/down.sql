CREATE INDEX outstanding_tokens_sid ON outstanding_tokens (sid);
DROP INDEX outstanding_tokens_sid_expires_at;
