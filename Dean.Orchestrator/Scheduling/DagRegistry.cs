using Dean.ServiceDefaults.Auth;
namespace Dean.Orchestrator.Scheduling;

/// <summary>A recurring job, named after the Airflow DAG it replaces (DESIGN 9). Cron expressions are editable by configuration.</summary>
/// <param name="TriggerPolicy">Who may run it now through <c>POST dags/{id}/dagRuns</c>: the role of what the job does.</param>
public sealed record Dag(string Id, string DefaultCron, string Description, string TriggerPolicy = Policies.Operator);

public static class DagRegistry
{
    public static readonly IReadOnlyList<Dag> All =
    [
        new("dean_agent_evolution", "*/30 * * * *", "One evolution step for every active agent of the default population that is not in a running cycle"),
        new("dean_evolution_cycle", "0 * * * *", "Start a cycle on the default population when none is running"),
        new("dean_token_economy", "*/10 * * * *", "Decay idle allocations and rebalance from inefficient to efficient agents"),
        new("dean_pattern_discovery", "*/15 * * * *", "Catalogue accepted changes not yet turned into patterns"),
        new("dean_population_manager", "0 */6 * * *", "Spawn agents below the minimum population, retire the worst above the maximum"),
        new("dean_system_maintenance", "0 */6 * * *", "Prune orphaned worktrees and expire stale token reservations"),
        new("dean_backup", "0 2 * * *", "Back up database, Redis, patterns, agent branches and configuration; apply retention", Policies.Admin),
        new("dean_weekly_maintenance", "0 2 * * 0", "VACUUM (ANALYZE) and REINDEX DEAN's tables, prune expired Hangfire jobs", Policies.Admin),
        new("dean_pattern_archive", "0 3 1 * *", "Archive patterns older than 30 days used fewer than 5 times"),
    ];

    public static Dag? Find(string id) => All.FirstOrDefault(d => d.Id == id);
}

public sealed class ScheduleOptions
{
    public const string Section = "Orchestrator:Schedules";

    /// <summary>Cron per DAG id, overriding <see cref="Dag.DefaultCron"/>.</summary>
    public Dictionary<string, string> Cron { get; set; } = [];

    /// <summary>Whether the scheduled jobs evolve a default population (off unless an operator turns it on).</summary>
    public bool EvolveDefaultPopulation { get; set; }

    public int DefaultPopulationSize { get; set; } = 4;
    public int DefaultGenerations { get; set; } = 5;
    public long DefaultCycleBudget { get; set; } = 50_000;

    /// <summary>Start one short demo cycle on the default target at first start, so a newcomer sees evolution at once.</summary>
    public bool DemoCycleOnFirstStart { get; set; }
}
