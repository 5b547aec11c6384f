-- A second factor (issue 13). Times are Unix seconds.

-- An authenticator app (TOTP, RFC 6238), one per account. `secret` is encrypted
-- (`server::factor_cipher`: XChaCha20-Poly1305 under a key derived from the signing key,
-- bound to the account id), never stored in plain. `enabled_at` is NULL between setup
-- and the first right code. `last_step` is the highest time step ever accepted: a code of
-- that step or an earlier one is refused, so no code works twice.
CREATE TABLE totp_factors (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     TEXT NOT NULL,
    enabled_at BIGINT,
    last_step  BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Single-use recovery codes: only their SHA-256 (80 random bits each). A code is used by
-- deleting its row, so of two concurrent uses exactly one succeeds.
CREATE TABLE recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

-- A login whose password was right, waiting for its second factor: the `mfa_token`'s
-- SHA-256, the account, the password hash that was verified (the session is tied to it:
-- a password changed meanwhile starts none), the attempts made and the expiry. Kept in the
-- database so that any instance can finish a login another began.
CREATE TABLE mfa_challenges (
    token_hash    TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX mfa_challenges_user_id ON mfa_challenges (user_id);
