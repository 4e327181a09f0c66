CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    -- NFKC-normalised before insert; the unique index is the source of truth for "taken".
    username TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL DEFAULT '',
    -- "bcrypt_sha256$<bcrypt>", the format of Django's BCryptSHA256PasswordHasher.
    password TEXT NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    is_staff BOOLEAN NOT NULL DEFAULT FALSE,
    is_superuser BOOLEAN NOT NULL DEFAULT FALSE,
    date_joined TIMESTAMP NOT NULL,
    last_login TIMESTAMP
);
