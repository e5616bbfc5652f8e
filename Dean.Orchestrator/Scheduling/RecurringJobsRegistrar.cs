using Hangfire;
using Microsoft.Extensions.Options;

namespace Dean.Orchestrator.Scheduling;

/// <summary>Registers (or updates) the recurring jobs at start-up, with their DAG ids and configured crons.</summary>
public sealed class RecurringJobsRegistrar(IRecurringJobManager recurring, IOptions<ScheduleOptions> options, ILogger<RecurringJobsRegistrar> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        foreach (var dag in DagRegistry.All)
        {
            var cron = settings.Cron.GetValueOrDefault(dag.Id, dag.DefaultCron);
            var jobOptions = new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc };
            switch (dag.Id)
            {
                case "dean_agent_evolution": recurring.AddOrUpdate<ScheduledJobs>(dag.Id, j => j.AgentEvolutionAsync(CancellationToken.None), cron, jobOptions); break;
                case "dean_evolution_cycle": recurring.AddOrUpdate<ScheduledJobs>(dag.Id, j => j.EvolutionCycleAsync(CancellationToken.None), cron, jobOptions); break;
                case "dean_token_economy": recurring.AddOrUpdate<ScheduledJobs>(dag.Id, j => j.TokenEconomyAsync(CancellationToken.None), cron, jobOptions); break;
                case "dean_pattern_discovery": recurring.AddOrUpdate<ScheduledJobs>(dag.Id, j => j.PatternDiscoveryAsync(CancellationToken.None), cron, jobOptions); break;
                case "dean_population_manager": recurring.AddOrUpdate<ScheduledJobs>(dag.Id, j => j.PopulationManagerAsync(CancellationToken.None), cron, jobOptions); break;
                case "dean_system_maintenance": recurring.AddOrUpdate<ScheduledJobs>(dag.Id, j => j.SystemMaintenanceAsync(CancellationToken.None), cron, jobOptions); break;
                case "dean_backup": recurring.AddOrUpdate<Backups.BackupService>(dag.Id, j => j.ScheduledBackupAsync(CancellationToken.None), cron, jobOptions); break;
                case "dean_weekly_maintenance": recurring.AddOrUpdate<Backups.MaintenanceJobs>(dag.Id, j => j.WeeklyAsync(CancellationToken.None), cron, jobOptions); break;
                case "dean_pattern_archive": recurring.AddOrUpdate<Backups.MaintenanceJobs>(dag.Id, j => j.PatternArchiveAsync(CancellationToken.None), cron, jobOptions); break;
                default: throw new InvalidOperationException($"No job for DAG {dag.Id}");
            }
            logger.LogInformation("Recurring job {DagId}: {Cron}", dag.Id, cron);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
