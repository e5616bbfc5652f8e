-- Operations: signing-key epochs (key rotation, read by every service) and emergency stops.
CREATE TABLE auth_signing_epochs (
    epoch       bigint      PRIMARY KEY CHECK (epoch > 0),
    salt        text        NOT NULL,
    rotated_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per emergency stop: what it stopped and paused, so resume undoes exactly that.
CREATE TABLE emergency_stops (
    id                     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requested_by           text        NOT NULL,
    stopped_cycles         text[]      NOT NULL DEFAULT '{}',
    paused_agents          text[]      NOT NULL DEFAULT '{}',
    released_reservations  int         NOT NULL DEFAULT 0,
    released_tokens        bigint      NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL DEFAULT now(),
    resumed_at             timestamptz,
    resumed_by             text
);
-- At most one stop in force at a time.
CREATE UNIQUE INDEX emergency_stops_active ON emergency_stops ((true)) WHERE resumed_at IS NULL;
