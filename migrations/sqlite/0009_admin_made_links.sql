-- A set-password link a site admin made and passed on by hand (not mailed
-- to the account's address): using it proves nothing about the mailbox,
-- so it does not mark the address verified.
ALTER TABLE password_tokens ADD COLUMN made_by_admin INTEGER NOT NULL DEFAULT 0;
