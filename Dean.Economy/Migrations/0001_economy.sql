-- The token economy (DESIGN section 8). Balances are bigint tokens; every invariant the service promises is also a
-- CHECK constraint, so a bug in the service fails a statement instead of silently overspending.

-- One row: the global budget and how much of it is allocated to accounts drawn from it.
CREATE TABLE economy_settings (
    id            int         PRIMARY KEY CHECK (id = 1),
    global_budget bigint      NOT NULL CHECK (global_budget >= 0),
    reserve_ratio numeric     NOT NULL DEFAULT 0.10 CHECK (reserve_ratio >= 0 AND reserve_ratio <= 1),
    allocated     bigint      NOT NULL DEFAULT 0 CHECK (allocated >= 0),
    last_reset    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT economy_settings_within_budget CHECK (allocated <= global_budget)
);
INSERT INTO economy_settings (id, global_budget) VALUES (1, 1000000);

-- An account per agent or cycle pool ('cycle:{id}'), created by its first allocation. source is where its allocation
-- came from ('global' or a pool's account id) and never changes, so returns and decay go back to the right place.
CREATE TABLE economy_accounts (
    account_id          text             PRIMARY KEY,
    source              text             NOT NULL,
    allocated           bigint           NOT NULL DEFAULT 0,
    consumed            bigint           NOT NULL DEFAULT 0,
    reserved            bigint           NOT NULL DEFAULT 0,
    suballocated        bigint           NOT NULL DEFAULT 0,
    value_generated     double precision NOT NULL DEFAULT 0,
    decay_hours_applied int              NOT NULL DEFAULT 0,
    last_activity_at    timestamptz      NOT NULL DEFAULT now(),
    created_at          timestamptz      NOT NULL DEFAULT now(),
    returned_at         timestamptz,
    CONSTRAINT economy_accounts_nonnegative CHECK (allocated >= 0 AND consumed >= 0 AND reserved >= 0 AND suballocated >= 0),
    CONSTRAINT economy_accounts_never_overspent CHECK (consumed + reserved + suballocated <= allocated)
);
CREATE INDEX economy_accounts_source ON economy_accounts (source);

CREATE TABLE economy_reservations (
    reservation_id uuid        PRIMARY KEY,
    account_id     text        NOT NULL REFERENCES economy_accounts (account_id),
    tokens         bigint      NOT NULL CHECK (tokens > 0),
    status         text        NOT NULL CHECK (status IN ('active', 'settled', 'released', 'expired')),
    charged        bigint      CHECK (charged >= 0 AND charged <= tokens),
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    closed_at      timestamptz
);
CREATE INDEX economy_reservations_active_expiry ON economy_reservations (expires_at) WHERE status = 'active';
CREATE INDEX economy_reservations_account ON economy_reservations (account_id);

-- Every movement, per account; balance = the account's unused allocation (global: budget - allocated).
CREATE TABLE economy_ledger (
    id              bigserial   PRIMARY KEY,
    account_id      text        NOT NULL,
    type            text        NOT NULL,
    amount          bigint      NOT NULL CHECK (amount >= 0),
    balance_before  bigint      NOT NULL,
    balance_after   bigint      NOT NULL,
    reference       text,
    idempotency_key text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX economy_ledger_account ON economy_ledger (account_id, id);
CREATE INDEX economy_ledger_created ON economy_ledger (created_at);

-- The first answer to every mutating request that carried a key, written in the same transaction as its effect.
CREATE TABLE economy_idempotency (
    key        text        PRIMARY KEY,
    operation  text        NOT NULL,
    status     int         NOT NULL,
    body       jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE economy_constraints (
    id                         int              PRIMARY KEY CHECK (id = 1),
    min_diversity              double precision NOT NULL,
    max_generations            int              NOT NULL,
    token_limit_per_generation bigint           NOT NULL,
    max_tokens_per_agent       bigint           NOT NULL,
    mutation_rate_min          double precision NOT NULL,
    mutation_rate_max          double precision NOT NULL,
    population_size_min        int              NOT NULL,
    population_size_max        int              NOT NULL,
    updated_at                 timestamptz      NOT NULL DEFAULT now()
);
INSERT INTO economy_constraints VALUES (1, 0.3, 100, 10000, 50000, 0.05, 0.3, 3, 50, now());
