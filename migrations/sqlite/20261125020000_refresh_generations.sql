-- A session keeps only a random seed and its current refresh generation; the cookie
-- carries `session id . generation . secret`, the secret being an HMAC (keyed by the
-- server's key) of the id, the seed and the generation. Each refresh moves the session
-- to the next generation, so a session takes constant space however often it
-- refreshes, and a genuine token of an earlier generation presented again is still
-- recognised as reuse (the session is revoked). Sessions started before this change
-- have no seed: their browsers log in once more.
ALTER TABLE sessions ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN refresh_seed TEXT NOT NULL DEFAULT '';
DROP TABLE refresh_tokens;
-- The periodic purge looks for expired sessions.
CREATE INDEX sessions_expires_at ON sessions (expires_at);
