using Hangfire;

namespace Dean.Orchestrator.Evolution;

/// <summary>
/// At start-up, re-enqueues cycles a crashed process left unfinished, so they resume at once instead of after
/// Hangfire's invisibility timeout. The cycle lock makes a duplicate job harmless.
/// </summary>
public sealed class CycleRecovery(CycleStore cycles, IBackgroundJobClient jobs, ILogger<CycleRecovery> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var id in await cycles.UnfinishedAsync(stoppingToken))
        {
            logger.LogInformation("Resuming cycle {CycleId}", id);
            jobs.Enqueue<CycleRunner>(runner => runner.RunAsync(id, null, CancellationToken.None));
        }
    }
}
