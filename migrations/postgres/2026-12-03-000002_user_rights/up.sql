-- "User U's rights changed at `changed_at_ms`; these are their rights since": a grant (a
-- group, staff) reaches access tokens and cached keys issued before it, which carry the old
-- rights, with no database read per request. Each instance keeps the rows in memory (beside
-- `user_revocations`) until `expires_at`, when every credential they could apply to has
-- expired or been re-read. See src/db/rights.rs for why `changed_at_ms` only ever grows.
-- No foreign key: like `user_revocations`, a row may outlive its user.
CREATE TABLE user_rights (
    user_id BIGINT PRIMARY KEY NOT NULL,
    changed_at_ms BIGINT NOT NULL,
    is_staff BOOLEAN NOT NULL,
    -- The user's group names, a JSON array of strings.
    group_names TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
-- The newest change (every write reads it) and, on SQLite, the poll for changes since.
CREATE INDEX user_rights_changed_at_ms ON user_rights (changed_at_ms);
CREATE INDEX user_rights_expires_at ON user_rights (expires_at);
