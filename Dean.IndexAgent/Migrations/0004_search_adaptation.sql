-- Steps since the agent's last accepted candidate: three or more make it stagnant, and the population step answers
-- with exploration (wider spread, crossover with another lineage, or a restart from the population's best).
ALTER TABLE agents ADD COLUMN steps_since_accept int NOT NULL DEFAULT 0;
