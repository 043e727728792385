-- Substring search over email and name that stays fast at a million users:
-- trigram GIN indexes serve `LIKE '%term%'`.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_email_trgm ON users USING gin (email_normalized gin_trgm_ops);
CREATE INDEX users_name_trgm ON users USING gin (name_normalized gin_trgm_ops);
CREATE INDEX users_role_active ON users (role, active);
