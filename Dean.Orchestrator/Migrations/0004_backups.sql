-- Backups and restores: status rows the API answers from. Neither table is part of a backup (a restore must not
-- forget the backups it could restore, nor its own progress).
CREATE TABLE backups (
    id            text        PRIMARY KEY,
    status        text        NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    path          text        NOT NULL,
    size_bytes    bigint,
    sha256        text,
    contents      jsonb       NOT NULL DEFAULT '[]',
    checksums     jsonb       NOT NULL DEFAULT '{}',
    log           text[]      NOT NULL DEFAULT '{}',
    error         text,
    created_by    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    verified_at   timestamptz,
    verify_status text
);
CREATE INDEX backups_created_at ON backups (created_at);

CREATE TABLE restores (
    id            text        PRIMARY KEY,
    backup_id     text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    log           text[]      NOT NULL DEFAULT '{}',
    error         text,
    created_by    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz
);
