DROP TABLE user_rights;
