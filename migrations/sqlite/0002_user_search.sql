-- Substring search over email and name that stays fast at a million users:
-- an FTS5 trigram index kept in step with `users` by triggers.
CREATE VIRTUAL TABLE users_fts USING fts5(
    email_normalized, name_normalized,
    content = 'users', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO users_fts (rowid, email_normalized, name_normalized)
    SELECT id, email_normalized, name_normalized FROM users;

CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_fts (rowid, email_normalized, name_normalized)
    VALUES (new.id, new.email_normalized, new.name_normalized);
END;
CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, email_normalized, name_normalized)
    VALUES ('delete', old.id, old.email_normalized, old.name_normalized);
END;
CREATE TRIGGER users_fts_update AFTER UPDATE OF email_normalized, name_normalized ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, email_normalized, name_normalized)
    VALUES ('delete', old.id, old.email_normalized, old.name_normalized);
    INSERT INTO users_fts (rowid, email_normalized, name_normalized)
    VALUES (new.id, new.email_normalized, new.name_normalized);
END;

CREATE INDEX users_role_active ON users (role, active);
