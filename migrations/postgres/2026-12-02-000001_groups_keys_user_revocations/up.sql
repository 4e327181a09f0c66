-- Django's auth groups. `name_key` is the name lower-cased: the tutorial's path
-- `/api/groups/manager/users` and its view's `Group(name="Manager")` mean one group.
CREATE TABLE auth_groups (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE
);

CREATE TABLE user_groups (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES auth_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX user_groups_group_id ON user_groups (group_id);

-- Opaque `Token` keys, one per login (device). Only the SHA-256 of a key is stored: a
-- database reader cannot use what they read. `sid` is the key's session id, which the
-- revocation machinery ends when the key is logged out.
CREATE TABLE auth_keys (
    id BIGSERIAL PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    sid TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    -- NULL: the key never expires (DRF's behaviour).
    expires_at BIGINT
);
CREATE INDEX auth_keys_user_id ON auth_keys (user_id);

-- "Credentials of this user issued before `not_before_ms` are void": a change to the user
-- (deactivated, deleted, lost a group or staff) reaches access tokens already issued.
-- No foreign key: the entry must outlive a deleted user.
CREATE TABLE user_revocations (
    user_id BIGINT PRIMARY KEY NOT NULL,
    not_before_ms BIGINT NOT NULL,
    -- 1 rights changed, 2 deactivated, 3 deleted.
    reason SMALLINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX user_revocations_expires_at ON user_revocations (expires_at);
