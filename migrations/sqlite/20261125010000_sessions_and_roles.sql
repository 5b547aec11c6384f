-- Roles: every user is a 'user' unless an admin (or the CLI) says otherwise.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin'));

-- A session is one login on one device: the "family" of refresh tokens that descend
-- from it by rotation. Access tokens carry its id (`sid`); revoking it ends them all.
-- Times are Unix seconds.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- Refresh tokens, stored only as SHA-256 hashes. A used one stays (with used_at) so
-- that presenting it again is recognised as theft.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
