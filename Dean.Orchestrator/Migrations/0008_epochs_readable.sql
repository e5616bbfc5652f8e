-- Every service verifies tokens against the Orchestrator's signing epochs (each certified by the root key, so reading
-- is all they need): the other services' roles may read this one table of the Orchestrator's.
DO $grant$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dean_economy') AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dean_indexagent') THEN
    GRANT SELECT ON auth_signing_epochs TO dean_economy, dean_indexagent;
  END IF;
END
$grant$;
