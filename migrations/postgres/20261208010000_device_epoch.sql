-- What device cookies are bound to besides the account's id (issue 21): a random value
-- that a password reset and an address change replace, so that device cookies gathered
-- before (by someone who had signed up with another person's address) stop counting.
-- Accounts from before start with '' and get a value at their next reset or address change.
ALTER TABLE users ADD COLUMN device_epoch TEXT NOT NULL DEFAULT '';
