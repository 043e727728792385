-- Two-step verification: an authenticator app (TOTP), recovery codes and
-- passkeys, and logins half done (the password right, the second step to go).

-- The authenticator app's key, encrypted with the server's own key (kept
-- outside the database). Unconfirmed while it is being set up. `last_step`
-- is the newest 30-second step a code was accepted for: each code works once.
CREATE TABLE totp_keys (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       TEXT    NOT NULL,
    confirmed_at INTEGER,
    last_step    INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);

-- Recovery codes, each stored as a keyed hash (HMAC with the server's key) and
-- used once.
CREATE TABLE recovery_codes (
    code_hash  TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX recovery_codes_user_id ON recovery_codes (user_id);

-- Passkeys: WebAuthn credentials as webauthn-rs keeps them (public keys).
CREATE TABLE passkeys (
    credential_id TEXT    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    passkey       TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX passkeys_user_id ON passkeys (user_id);
-- A person's WebAuthn user handle: random, made with their first passkey.
ALTER TABLE users ADD COLUMN webauthn_handle TEXT;
CREATE UNIQUE INDEX users_webauthn_handle ON users (webauthn_handle);

-- A login whose password was right and whose second step is still to come:
-- bound to the browser by the hash of a random id in its cookie, single use.
CREATE TABLE pending_logins (
    id_hash    TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    next       TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX pending_logins_expires_at ON pending_logins (expires_at);

-- A WebAuthn ceremony under way (adding a passkey, or signing in with one),
-- bound to the browser like a pending login: its state, single use.
CREATE TABLE webauthn_ceremonies (
    id_hash    TEXT    PRIMARY KEY,
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    state      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX webauthn_ceremonies_expires_at ON webauthn_ceremonies (expires_at);

-- How each session and each app sign-in began (RFC 8176 `amr` values,
-- space-separated: `pwd`, `pwd otp mfa`, `hwk user mfa`).
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE oidc_grants ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
-- Apps that admit only people signed in with two steps.
ALTER TABLE apps ADD COLUMN two_factor INTEGER NOT NULL DEFAULT 0;
