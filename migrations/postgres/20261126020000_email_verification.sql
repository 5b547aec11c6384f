-- When the account's address was shown to receive mail (Unix seconds): by the link of the
-- verification mail, an email change's confirmation, or a password reset. NULL until then,
-- and set afresh by every address change. Accounts from before this migration start
-- unverified.
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
