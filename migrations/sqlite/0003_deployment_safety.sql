-- Throttling and access-denied floods are recorded as one audit row per key
-- and time window, with a count, instead of one row per request.
ALTER TABLE audit_log ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN window_key TEXT;
CREATE UNIQUE INDEX audit_log_window_key ON audit_log (window_key);
CREATE INDEX audit_log_at ON audit_log (at);

-- One-time links that open /setup while no account exists (hashed, like
-- reset tokens).
CREATE TABLE setup_tokens (
    token_hash TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
