using Dapper;
using Dean.Orchestrator.Clients;
using Dean.ServiceDefaults.Data;
using Hangfire;
using Npgsql;

namespace Dean.Orchestrator.Backups;

/// <summary>
/// The runbook's maintenance windows: weekly database upkeep and the monthly pattern archive. The upkeep spans every
/// service's tables, so it runs as the maintenance role.
/// </summary>
public sealed class MaintenanceJobs([FromKeyedServices(DatabaseOwnership.MaintenanceConnectionName)] NpgsqlDataSource db, IndexAgentClient indexAgent, LedgerExporter ledger, ILogger<MaintenanceJobs> logger)
{
    /// <summary>The runbook's defaults for archiving patterns.</summary>
    public const int ArchiveOlderThanDays = 30;
    public const int ArchiveMinUsage = 5;

    /// <summary>
    /// <c>dean_weekly_maintenance</c>: the ledger's history past retention exported and pruned, then VACUUM (ANALYZE)
    /// and REINDEX of DEAN's tables (reclaiming what was pruned), and expired Hangfire jobs pruned.
    /// </summary>
    [AutomaticRetry(Attempts = 1)]
    [DisableConcurrentExecution(timeoutInSeconds: 3600)]
    public async Task<int> WeeklyAsync(CancellationToken ct)
    {
        await ledger.ExportAndPruneAsync(ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        var tables = (await connection.QueryAsync<string>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).AsList();
        foreach (var table in tables)
        {
            // Each its own statement outside a transaction: VACUUM refuses to run inside one.
            await connection.ExecuteAsync($"VACUUM (ANALYZE) public.\"{table}\"", commandTimeout: 3600);
            await connection.ExecuteAsync($"REINDEX TABLE public.\"{table}\"", commandTimeout: 3600);
        }
        // Hangfire expires finished jobs itself; this catches what a stopped server left behind.
        var pruned = await connection.ExecuteAsync("DELETE FROM hangfire.job WHERE expireat IS NOT NULL AND expireat < now()", commandTimeout: 600);
        logger.LogInformation("dean_weekly_maintenance: {Tables} tables vacuumed, analysed and reindexed; {Jobs} expired Hangfire jobs pruned", tables.Count, pruned);
        return tables.Count;
    }

    /// <summary><c>dean_pattern_archive</c>: archive patterns older than 30 days used fewer than 5 times (runbook defaults).</summary>
    [AutomaticRetry(Attempts = 2)]
    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    public async Task PatternArchiveAsync(CancellationToken ct)
    {
        var result = await indexAgent.ArchivePatternsAsync(ArchiveOlderThanDays, ArchiveMinUsage, ct);
        logger.LogInformation("dean_pattern_archive: {Archived} patterns archived", result.Archived);
    }
}
