-- IndexAgent: targets, agents (ids agent_001, agent_002, ... from a sequence) and their candidates.
CREATE TABLE targets (
    name        text        PRIMARY KEY,
    repository  text        NOT NULL,
    path        text        NOT NULL,
    task        jsonb       NOT NULL,
    head        text        NOT NULL,
    is_default  boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE agent_id_seq START 1;

CREATE TABLE agents (
    id                text             PRIMARY KEY,
    name              text             NOT NULL,
    goal              text             NOT NULL,
    target            text             NOT NULL REFERENCES targets (name),
    genome            jsonb            NOT NULL,
    parent_ids        text[]           NOT NULL DEFAULT '{}',
    generation        integer          NOT NULL DEFAULT 0,
    level             integer          NOT NULL DEFAULT 1,
    status            text             NOT NULL CHECK (status IN ('active', 'paused', 'budget_exhausted', 'retired', 'terminated')),
    retirement_reason text,
    worktree_path     text             NOT NULL,
    branch            text             NOT NULL,
    base_commit       text             NOT NULL,
    head_commit       text             NOT NULL,
    fitness           double precision,
    token_efficiency  double precision NOT NULL DEFAULT 0,
    diversity_score   double precision,
    token_budget      bigint           NOT NULL CHECK (token_budget >= 0),
    tokens_used       bigint           NOT NULL DEFAULT 0 CHECK (tokens_used >= 0),
    cycle_id          text,
    allocation_id     text,
    last_feedback     text,
    steps             integer          NOT NULL DEFAULT 0,
    created_at        timestamptz      NOT NULL DEFAULT now(),
    updated_at        timestamptz      NOT NULL DEFAULT now(),
    retired_at        timestamptz
);
CREATE INDEX agents_status_idx ON agents (status);
CREATE INDEX agents_cycle_idx ON agents (cycle_id) WHERE cycle_id IS NOT NULL;

CREATE TABLE candidates (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id         text             NOT NULL REFERENCES agents (id),
    cycle_id         text,
    generation       integer          NOT NULL,
    operator         text             NOT NULL,
    edit_kind        text             NOT NULL,
    description      text             NOT NULL,
    seed             integer          NOT NULL,
    diff             text             NOT NULL,
    files_changed    integer          NOT NULL,
    lines_added      integer          NOT NULL,
    lines_removed    integer          NOT NULL,
    tokens_reserved  bigint           NOT NULL,
    tokens_used      bigint           NOT NULL CHECK (tokens_used >= 0 AND tokens_used <= tokens_reserved),
    evaluation_ms    bigint           NOT NULL,
    duration_ms      bigint           NOT NULL,
    score            double precision,
    previous_fitness double precision,
    metrics          jsonb,
    feedback         text,
    evaluation       text             NOT NULL,
    accepted         boolean          NOT NULL,
    reason           text             NOT NULL,
    commit_sha       text,
    created_at       timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX candidates_agent_idx ON candidates (agent_id, id);
CREATE INDEX candidates_cycle_idx ON candidates (cycle_id, generation) WHERE cycle_id IS NOT NULL;
