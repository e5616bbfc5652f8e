using Dean.Orchestrator.Backups;
using Dean.Orchestrator.Evolution;

namespace Dean.Orchestrator.Operations;

/// <summary>
/// Creates the orchestrator's instruments at start-up. They are singletons resolved on first use, so without this
/// the dean_evolution_* and backup series would only appear after the first cycle or backup (DESIGN 12 wants them
/// exported from start-up, at zero, so dashboards and alerts never point at a missing series).
/// </summary>
public sealed class MetricsWarmup(CycleMetrics cycles, BackupMetrics backups) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _ = cycles;
        await backups.LoadAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
