-- Gatehouse schema, PostgreSQL dialect. Times are Unix seconds (rate limits: milliseconds).
CREATE TABLE users (
    id                  BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email               TEXT    NOT NULL,
    email_normalized    TEXT    NOT NULL UNIQUE,
    name                TEXT    NOT NULL,
    name_normalized     TEXT    NOT NULL,
    role                TEXT    NOT NULL CHECK (role IN ('user', 'site_admin')),
    password_hash       TEXT,
    active              BIGINT  NOT NULL DEFAULT 1,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    last_login_at       BIGINT,
    password_changed_at BIGINT
);

CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE password_tokens (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL UNIQUE,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('reset', 'invite')),
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT
);
CREATE INDEX password_tokens_user_id ON password_tokens (user_id);

CREATE TABLE outbox (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT    NOT NULL,
    to_addr         TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body_text       TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    locked_until    BIGINT,
    last_error      TEXT,
    sent_at         BIGINT,
    failed_at       BIGINT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE TABLE rate_limits (
    key      TEXT    PRIMARY KEY,
    tat_ms   BIGINT  NOT NULL
);

CREATE TABLE audit_log (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           BIGINT  NOT NULL,
    event        TEXT    NOT NULL,
    actor_id     BIGINT,
    actor_email  TEXT,
    target_id    BIGINT,
    target_email TEXT,
    ip           TEXT,
    detail       TEXT
);
CREATE INDEX audit_log_event ON audit_log (event, id);
CREATE INDEX audit_log_target ON audit_log (target_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
