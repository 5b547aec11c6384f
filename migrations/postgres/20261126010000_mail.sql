-- Links sent by mail (password reset; later email verification and change). Only a
-- SHA-256 of the token is stored; a token is used by deleting its row (one statement:
-- of two concurrent uses exactly one gets it). A password change deletes the account's
-- links.
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    new_email  TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX email_tokens_user_id ON email_tokens (user_id);

-- Messages waiting to be sent, written in the same transaction as what they announce
-- (`server::mail`). A worker claims one at a time (`claimed_until`), sends it and marks it
-- sent (and blanks its bodies: they may carry a link), or schedules another attempt.
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until   BIGINT,
    sent_at         BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
