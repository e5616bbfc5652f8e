-- A second lot per account (DESIGN section 8): the part of an agent's allocation that came from the global budget while
-- the agent belongs to a cycle's pool (an emergency allocation during the cycle). Spending draws the pool's lot first;
-- unused tokens go back to each lot's source. The global budget's allocated = its accounts' allocations + these lots.
ALTER TABLE economy_accounts ADD COLUMN global_lot bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT economy_accounts_global_lot CHECK (global_lot >= 0 AND global_lot <= allocated AND (global_lot = 0 OR source <> 'global'));
