-- The evaluation stage each step's candidate reached (DESIGN section 2), so a cycle's status counts candidates per stage.
ALTER TABLE cycle_steps ADD COLUMN stage int;
