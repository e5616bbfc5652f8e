using System.Text;

namespace Dean.ServiceDefaults.Data;

/// <summary>
/// Least privilege inside <c>agent_evolution</c>: each service logs in as its own role (<c>dean_economy</c>,
/// <c>dean_indexagent</c>, <c>dean_orchestrator</c>) that owns its own tables and sequences and cannot read the others'
/// (except the Orchestrator's signing epochs, which every service reads to verify tokens).
/// <c>dean_maintenance</c>, a member of all three, is the Orchestrator's second login for what spans the services:
/// backups, restores and the weekly upkeep; it owns the shared <c>schema_migrations</c>.
/// </summary>
#if DEAN_APPHOST
internal // the AppHost compiles this file too: its copy stays its own, since the tests see both assemblies
#else
public
#endif
static class DatabaseOwnership
{
    public const string MaintenanceRole = "dean_maintenance";

    /// <summary>The Orchestrator's connection name for the maintenance role.</summary>
    public const string MaintenanceConnectionName = "agent_evolution_maintenance";

    /// <summary>The Orchestrator's Hangfire storage: a schema of its own, owned by the Orchestrator's role.</summary>
    public const string JobsSchema = "hangfire";

    /// <summary>The shared record of applied migrations (made by the superuser's provisioning too, so every service's role can write it).</summary>
    public const string MigrationsTableSql = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            service    text        NOT NULL,
            version    text        NOT NULL,
            checksum   text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (service, version))
        """;

    public static IReadOnlyList<string> Services { get; } = ["economy", "indexagent", "orchestrator"];

    public static string RoleOf(string service) => "dean_" + service;

    /// <summary>Every role that logs in: one per service, and the maintenance role.</summary>
    public static IReadOnlyList<string> LoginRoles { get; } = [.. Services.Select(RoleOf), MaintenanceRole];

    /// <summary>
    /// The objects each service's migrations create in schema <c>public</c> (a test compares this with the migrations):
    /// a database whose tables the superuser owned, as every installation before the roles had, is moved to these owners.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Objects { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        ["economy"] = ["economy_settings", "economy_accounts", "economy_reservations", "economy_ledger", "economy_idempotency", "economy_constraints"],
        ["indexagent"] = ["targets", "agent_id_seq", "agents", "candidates", "pattern_id_seq", "patterns", "population_steps", "diversity_interventions"],
        ["orchestrator"] = ["users", "refresh_tokens", "cycle_number_seq", "cycles", "cycle_generations", "cycle_steps", "auth_signing_epochs",
            "emergency_stops", "backups", "restores"],
    };

    /// <summary>A serial or identity column's sequence follows its table's owner and cannot be given one of its own.</summary>
    private const string LinkedSequence = "EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))";

    /// <summary>
    /// Idempotent SQL that gives every existing object its owner and the services their grants on
    /// <c>schema_migrations</c>. The superuser runs it at every start (the upgrade in place); the maintenance role runs
    /// it after a restore, which recreates the tables as itself.
    /// </summary>
    public static string AssignOwnersSql()
    {
        var owners = string.Join(", ", Objects.SelectMany(s => s.Value.Select(o => $"('{o}', '{RoleOf(s.Key)}')")));
        var services = string.Join(", ", Services.Select(RoleOf));
        return $$"""
            DO $assign$
            DECLARE o record;
            BEGIN
              FOR o IN
                SELECT c.relname, c.relkind, w.role FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
                JOIN (VALUES {{owners}}) AS w(relname, role) ON w.relname = c.relname
                WHERE c.relkind IN ('r', 'p', 'S') AND pg_get_userbyid(c.relowner) <> w.role AND NOT {{LinkedSequence}}
              LOOP
                EXECUTE format(CASE o.relkind WHEN 'S' THEN 'ALTER SEQUENCE public.%I OWNER TO %I' ELSE 'ALTER TABLE public.%I OWNER TO %I' END, o.relname, o.role);
              END LOOP;
              -- Every service verifies tokens against the Orchestrator's signing epochs (Dean.Orchestrator/Migrations/0008).
              IF to_regclass('public.auth_signing_epochs') IS NOT NULL THEN
                GRANT SELECT ON public.auth_signing_epochs TO {{RoleOf("economy")}}, {{RoleOf("indexagent")}};
              END IF;
              IF to_regclass('public.schema_migrations') IS NOT NULL THEN
                IF (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'public.schema_migrations'::regclass) <> '{{MaintenanceRole}}' THEN
                  ALTER TABLE public.schema_migrations OWNER TO {{MaintenanceRole}};
                END IF;
                GRANT SELECT, INSERT ON public.schema_migrations TO {{services}};
              END IF;
            END
            $assign$;
            """;
    }

    /// <summary>
    /// The superuser's SQL at every start: the roles with their passwords (<paramref name="passwords"/> by role), the
    /// database's and schema's grants, the shared <c>schema_migrations</c> and the Orchestrator's jobs schema, then
    /// <see cref="AssignOwnersSql"/>.
    /// </summary>
    public static string ProvisionSql(string database, IReadOnlyDictionary<string, string> passwords)
    {
        var services = string.Join(", ", Services.Select(RoleOf));
        var sql = new StringBuilder();
        foreach (var role in LoginRoles)
        {
            var password = passwords[role].Replace("'", "''");
            sql.AppendLine($"DO $role$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role}; END IF; END $role$;");
            var rights = role == MaintenanceRole ? "CREATEDB" : "NOCREATEDB";
            sql.AppendLine($"ALTER ROLE {role} LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS {rights} PASSWORD '{password}';");
        }
        sql.AppendLine($"GRANT {services} TO {MaintenanceRole};");
        sql.AppendLine($"REVOKE ALL ON DATABASE \"{database}\" FROM PUBLIC;");
        sql.AppendLine($"GRANT CONNECT, TEMPORARY ON DATABASE \"{database}\" TO {services}, {MaintenanceRole};");
        // Hangfire's installer runs CREATE SCHEMA IF NOT EXISTS, which PostgreSQL checks against the database's CREATE right.
        sql.AppendLine($"GRANT CREATE ON DATABASE \"{database}\" TO {RoleOf("orchestrator")};");
        sql.AppendLine($"GRANT USAGE, CREATE ON SCHEMA public TO {services}, {MaintenanceRole};");
        sql.AppendLine(MigrationsTableSql + ";");
        sql.AppendLine($"CREATE SCHEMA IF NOT EXISTS {JobsSchema} AUTHORIZATION {RoleOf("orchestrator")};");
        sql.AppendLine(JobsSchemaOwnerSql());
        sql.AppendLine(AssignOwnersSql());
        return sql.ToString();
    }

    /// <summary>The jobs schema and everything in it belong to the Orchestrator's role (Hangfire's tables made by the superuser before included).</summary>
    private static string JobsSchemaOwnerSql()
    {
        var orchestrator = RoleOf("orchestrator");
        return $$"""
            DO $jobs$
            DECLARE o record;
            BEGIN
              IF (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '{{JobsSchema}}') <> '{{orchestrator}}' THEN
                ALTER SCHEMA {{JobsSchema}} OWNER TO {{orchestrator}};
              END IF;
              FOR o IN
                SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = '{{JobsSchema}}'
                WHERE c.relkind IN ('r', 'p', 'S', 'v') AND pg_get_userbyid(c.relowner) <> '{{orchestrator}}' AND NOT {{LinkedSequence}}
              LOOP
                EXECUTE format(CASE o.relkind WHEN 'S' THEN 'ALTER SEQUENCE {{JobsSchema}}.%I OWNER TO %I' WHEN 'v' THEN 'ALTER VIEW {{JobsSchema}}.%I OWNER TO %I'
                  ELSE 'ALTER TABLE {{JobsSchema}}.%I OWNER TO %I' END, o.relname, '{{orchestrator}}');
              END LOOP;
              FOR o IN
                SELECT p.oid::regprocedure AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname = '{{JobsSchema}}'
                WHERE pg_get_userbyid(p.proowner) <> '{{orchestrator}}'
              LOOP
                EXECUTE format('ALTER ROUTINE %s OWNER TO %I', o.signature, '{{orchestrator}}');
              END LOOP;
            END
            $jobs$;
            """;
    }
}
