-- The signature counter of each passkey beside its JSON (issue 21): a use stores the
-- passkey only if its counter moved past the stored one, so two uses at once cannot leave
-- the lower counter behind (which a cloned authenticator could then slip under). Passkeys
-- from before start at 0 and take their counter at their next use.
ALTER TABLE passkeys ADD COLUMN sign_count BIGINT NOT NULL DEFAULT 0;
