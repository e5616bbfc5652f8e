-- Orchestrator: users and refresh tokens.
CREATE TABLE users (
    username      text        PRIMARY KEY CHECK (username ~ '^[a-zA-Z0-9_.@-]{3,64}$'),
    password_hash text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE refresh_tokens (
    token_hash  text        PRIMARY KEY,
    username    text        NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_username ON refresh_tokens (username);
