-- Users. The email is stored trimmed and lower-cased, so this unique index is what
-- decides "already registered" — also under concurrent signups (no check-then-insert).
-- AUTOINCREMENT: an id is never handed out twice, so a token minted for a deleted user
-- can never name a newer one.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL,
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE UNIQUE INDEX users_email_key ON users (email);
