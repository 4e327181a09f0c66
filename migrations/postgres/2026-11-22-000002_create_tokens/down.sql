DROP TABLE revoked_sessions;
DROP TABLE blacklisted_tokens;
DROP TABLE outstanding_tokens;
