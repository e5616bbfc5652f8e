-- Staged evaluation (DESIGN section 2): the stages a candidate ran, each with its score and duration.
ALTER TABLE candidates ADD COLUMN stages jsonb;
