-- The genome strategy that made each candidate: what every agent's edits showed of a strategy on a target (how often
-- its written edits were accepted) weighs the builtin operator's choice for the next steps on that target.
ALTER TABLE candidates ADD COLUMN strategy text;
