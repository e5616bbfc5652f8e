-- The SHA-256 of the evolve scope's files as a candidate left them: a step whose proposal recreates a program already
-- evaluated for the same target is re-drawn (builtin operator) instead of spending an evaluation on it.
ALTER TABLE candidates ADD COLUMN program_hash text;
CREATE INDEX candidates_program_hash_idx ON candidates (program_hash) WHERE program_hash IS NOT NULL;
