-- Revoking a session reads the latest expiry among its tokens: max(expires_at) WHERE sid = ?.
-- With separate indexes on sid and on expires_at, PostgreSQL's planner may walk the
-- expires_at index backwards looking for the sid (a scan of the whole table when the
-- session's tokens are not the latest); one index on both makes it a single index lookup.
CREATE INDEX outstanding_tokens_sid_expires_at ON outstanding_tokens (sid, expires_at);
DROP INDEX outstanding_tokens_sid;
