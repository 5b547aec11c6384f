-- The keys AuthKit signs OpenID Connect tokens with (issue 22): one current key per
-- algorithm (RS256, ES256), made the first time one is needed; `authkit keys rotate` retires
-- them (retired_at) and the next use makes new ones. A retired key stays published in the
-- JWKS until every token it signed has expired, then its row is deleted. The private key is
-- PKCS#8 PEM sealed like the second factors' seeds, under a key derived for this purpose and
-- bound to the kid; the public half is kept as its JWK, in plain.
CREATE TABLE oidc_signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_key TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
