DROP TABLE user_revocations;
DROP TABLE auth_keys;
DROP TABLE user_groups;
DROP TABLE auth_groups;
