-- The size a cycle's population is held at (DESIGN section 5), and what each step's candidate was: its kind of edit,
-- and whether it reached the evaluator (a candidate stopped by the validity gate is not an evaluation).
ALTER TABLE cycles ADD COLUMN population_size int CHECK (population_size > 0);
UPDATE cycles SET population_size = coalesce(requested_population, greatest(cardinality(population_ids), 1));
ALTER TABLE cycle_steps ADD COLUMN edit_kind text;
ALTER TABLE cycle_steps ADD COLUMN evaluation text;
