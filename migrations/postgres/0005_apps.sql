-- Signing in to the site's other apps: OpenID Connect and forward-auth.

-- The stable, opaque identifier apps know a person by (OIDC `sub`): never
-- the email, which can change. New accounts get one on insert.
ALTER TABLE users ADD COLUMN subject TEXT;
UPDATE users SET subject = md5(random()::text || clock_timestamp()::text || id::text) WHERE subject IS NULL;
CREATE UNIQUE INDEX users_subject ON users (subject);
-- Whether the person has shown they read this mailbox (used a reset or
-- invitation link since the address was last set).
ALTER TABLE users ADD COLUMN email_verified BIGINT  NOT NULL DEFAULT 0;

-- Apps registered by a site admin. Only a hash of a confidential app's
-- secret is kept; public apps (no secret) must use PKCE.
CREATE TABLE apps (
    client_id                 TEXT    PRIMARY KEY,
    name                      TEXT    NOT NULL,
    secret_hash               TEXT,
    redirect_uris             TEXT    NOT NULL,
    post_logout_redirect_uris TEXT    NOT NULL DEFAULT '',
    allowed_role              TEXT    NOT NULL CHECK (allowed_role IN ('user', 'site_admin')),
    created_at                BIGINT  NOT NULL,
    updated_at                BIGINT  NOT NULL
);

-- One sign-in of a person to an app: the code it starts with and every
-- token issued from it. Revoking the grant ends all of them at once.
CREATE TABLE oidc_grants (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id  TEXT    NOT NULL REFERENCES apps (client_id) ON DELETE CASCADE,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope      TEXT    NOT NULL,
    nonce      TEXT,
    auth_time  BIGINT  NOT NULL,
    created_at BIGINT  NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oidc_grants_user_id ON oidc_grants (user_id);
CREATE INDEX oidc_grants_client_id ON oidc_grants (client_id);

-- Authorization codes, access tokens and refresh tokens, all stored as the
-- SHA-256 of the value handed out. A code or refresh token is spent by
-- setting used_at.
CREATE TABLE oidc_tokens (
    token_hash     TEXT    PRIMARY KEY,
    grant_id       BIGINT  NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL CHECK (kind IN ('code', 'access', 'refresh')),
    redirect_uri   TEXT,
    code_challenge TEXT,
    created_at     BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL,
    used_at        BIGINT
);
CREATE INDEX oidc_tokens_grant_id ON oidc_tokens (grant_id);
CREATE INDEX oidc_tokens_expires_at ON oidc_tokens (expires_at);

-- ID-token signing keys (RSA, PKCS#8 DER in base64). The newest unretired
-- key signs; retired keys stay published until their tokens have expired.
CREATE TABLE signing_keys (
    kid         TEXT    PRIMARY KEY,
    private_der TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    retired_at  BIGINT
);
