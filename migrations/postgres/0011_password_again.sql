-- When the person last gave their password again in this session (the
-- admin's "confirm it's you" step); the login itself counts as giving it.
ALTER TABLE sessions ADD COLUMN confirmed_at BIGINT;
