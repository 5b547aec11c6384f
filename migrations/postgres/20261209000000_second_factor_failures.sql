-- Consecutive wrong second-factor codes of an account, over every network (issue 21): they
-- never drain with time, only a right proof sets them back to 0. Past
-- SECOND_FACTOR_MAX_FAILURES an app's code is refused unless the browser has signed in to
-- the account before; a recovery code or a passkey still opens.
ALTER TABLE totp_factors ADD COLUMN failed_codes INTEGER NOT NULL DEFAULT 0;
