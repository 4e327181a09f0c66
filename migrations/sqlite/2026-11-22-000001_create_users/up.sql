CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- NFKC-normalised before insert; the unique index is the source of truth for "taken".
    username TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL DEFAULT '',
    -- "bcrypt_sha256$<bcrypt>", the format of Django's BCryptSHA256PasswordHasher.
    password TEXT NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT 1,
    is_staff BOOLEAN NOT NULL DEFAULT 0,
    is_superuser BOOLEAN NOT NULL DEFAULT 0,
    date_joined TIMESTAMP NOT NULL,
    last_login TIMESTAMP
);
