-- Passkeys (WebAuthn, issue 13). Times are Unix seconds.

-- One row per registered passkey: its credential id (base64url), the account, the name its
-- owner gave it, and webauthn-rs's `Passkey` as JSON (the public key and the signature
-- counter; nothing secret: the private key never leaves the authenticator).
CREATE TABLE passkeys (
    credential_id TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    credential    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_user_id ON passkeys (user_id);

-- A WebAuthn ceremony between its start and its finish: the SHA-256 of the id handed to the
-- browser, what it is for (`register`, `sign_in`, `second_factor`), the account (none for a
-- sign-in, where the passkey says who it is), webauthn-rs's state as JSON (the challenge),
-- and the expiry. In the database so that the finish may reach another instance; a finish
-- deletes the row, so a ceremony completes once.
CREATE TABLE webauthn_ceremonies (
    id_hash    TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    BIGINT REFERENCES users (id) ON DELETE CASCADE,
    state      TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
