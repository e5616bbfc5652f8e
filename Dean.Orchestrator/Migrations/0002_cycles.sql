-- Orchestrator: evolution cycles, their completed generations and each agent step of a generation.
CREATE SEQUENCE cycle_number_seq;

CREATE TABLE cycles (
    id                   text        PRIMARY KEY,
    status               text        NOT NULL CHECK (status IN ('pending', 'running', 'stopping', 'stopped', 'completed', 'failed', 'budget_exhausted')),
    target               text,
    population_ids       text[]      NOT NULL DEFAULT '{}',
    requested_population int         CHECK (requested_population > 0),
    total_generations    int         NOT NULL CHECK (total_generations > 0),
    current_generation   int         NOT NULL DEFAULT 0,
    token_budget         bigint      NOT NULL CHECK (token_budget > 0),
    tokens_consumed      bigint      NOT NULL DEFAULT 0,
    ca_rules             int[]       NOT NULL,
    diversity_threshold  double precision NOT NULL,
    patterns_discovered  int         NOT NULL DEFAULT 0,
    population_diversity double precision,
    best_score           double precision,
    best_agent_id        text,
    error                text,
    created_by           text        NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    started_at           timestamptz,
    ended_at             timestamptz
);
CREATE INDEX cycles_status ON cycles (status);

CREATE TABLE cycle_generations (
    cycle_id       text        NOT NULL REFERENCES cycles(id) ON DELETE CASCADE,
    generation     int         NOT NULL,
    best_score     double precision,
    mean_score     double precision,
    diversity      double precision,
    accepted       int         NOT NULL,
    evaluations    int         NOT NULL,
    tokens         bigint      NOT NULL,
    ca_rules_fired jsonb       NOT NULL DEFAULT '{}',
    population     jsonb       NOT NULL DEFAULT '{}',
    started_at     timestamptz NOT NULL,
    completed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cycle_id, generation)
);

-- One row per agent step of a generation: a resumed generation skips the steps already taken.
CREATE TABLE cycle_steps (
    cycle_id     text        NOT NULL REFERENCES cycles(id) ON DELETE CASCADE,
    generation   int         NOT NULL,
    agent_id     text        NOT NULL,
    candidate_id text,
    accepted     boolean     NOT NULL,
    score        double precision,
    tokens_used  bigint      NOT NULL,
    reason       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cycle_id, generation, agent_id)
);
