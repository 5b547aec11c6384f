-- State that several server instances must share. With SQLite (one instance) the
-- throttles live in memory and the signing key in the data folder, so these tables stay
-- empty; they exist on both engines so that both run the same queries.

-- Leaky buckets of the throttles (`server::shared_limiter`): one row per throttle scope
-- and key (a SHA-256 of the account/network/session it counts, never the plain value).
-- `level` drains continuously; `empty_at_ms` is when it will have drained, after which
-- the periodic purge deletes the row.
CREATE TABLE throttle_buckets (
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    level       REAL NOT NULL,
    updated_ms  BIGINT NOT NULL,
    empty_at_ms REAL NOT NULL,
    admitted    INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX throttle_buckets_empty_at ON throttle_buckets (empty_at_ms);

-- A signing key generated in development (no JWT_SECRET) by the first instance, found
-- by the others.
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
