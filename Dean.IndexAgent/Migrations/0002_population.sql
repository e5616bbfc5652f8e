-- Population evolution (DESIGN sections 5-7): the pattern catalogue, recorded population steps and diversity interventions.
CREATE SEQUENCE pattern_id_seq START 1;

CREATE TABLE patterns (
    id                   text             PRIMARY KEY,
    hash                 text             NOT NULL UNIQUE,
    type                 text             NOT NULL CHECK (type IN ('optimization', 'structural', 'behavioral', 'emergent')),
    name                 text             NOT NULL,
    description          text             NOT NULL,
    normalized_diff      text             NOT NULL,
    template             jsonb            NOT NULL,
    effectiveness        double precision NOT NULL,
    confidence           double precision NOT NULL,
    discovered_by        text             NOT NULL,
    generation           integer          NOT NULL,
    usage_count          integer          NOT NULL CHECK (usage_count >= 1),
    last_used_at         timestamptz      NOT NULL,
    archived             boolean          NOT NULL DEFAULT false,
    source_candidate_ids bigint[]         NOT NULL DEFAULT '{}',
    created_at           timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX patterns_type_idx ON patterns (type) WHERE NOT archived;

-- Which accepted candidate has been catalogued (each at most once), so discovery is safe to repeat.
ALTER TABLE candidates ADD COLUMN pattern_id text REFERENCES patterns (id);
ALTER TABLE candidates ADD COLUMN catalogued_at timestamptz;
CREATE INDEX candidates_uncatalogued_idx ON candidates (id) WHERE accepted AND catalogued_at IS NULL;

-- One population step per (cycle, generation); the stored result is answered again on a repeat.
CREATE TABLE population_steps (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step_key    text        NOT NULL UNIQUE,
    cycle_id    text,
    generation  integer     NOT NULL,
    request     jsonb       NOT NULL,
    result      json, -- kept as written (jsonb would reorder keys), answered again verbatim on a repeat
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

CREATE TABLE diversity_interventions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step_id          bigint REFERENCES population_steps (id),
    kind             text             NOT NULL,
    agent_id         text             NOT NULL REFERENCES agents (id),
    strength         double precision NOT NULL,
    reason           text             NOT NULL,
    genome_before    jsonb            NOT NULL,
    genome_after     jsonb            NOT NULL,
    related_agent_id text,
    pattern_id       text,
    diversity_before double precision NOT NULL,
    diversity_after  double precision NOT NULL,
    created_at       timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX diversity_interventions_agent_idx ON diversity_interventions (agent_id);

