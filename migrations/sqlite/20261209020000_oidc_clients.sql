-- The apps that may ask AuthKit to sign people in (issue 22): registered by the operator
-- (`authkit oidc-client create`). A confidential client's secret is stored as its SHA-256
-- (256 random bits need no slow hash); a public client (a browser or mobile app) has none.
-- The redirect URIs are a JSON array of exact strings: an authorization request must name one
-- of them character for character.
CREATE TABLE oidc_clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT,
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    first_party INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
