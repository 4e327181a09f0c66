ALTER TABLE blacklisted_tokens DROP COLUMN successor_access_jti;
ALTER TABLE blacklisted_tokens DROP COLUMN successor_jti;
DROP TABLE sessions;
