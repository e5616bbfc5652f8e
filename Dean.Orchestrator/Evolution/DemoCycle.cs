using Microsoft.Extensions.Options;
using Dean.Orchestrator.Scheduling;

namespace Dean.Orchestrator.Evolution;

/// <summary>
/// On the very first start (no cycle has ever existed) starts one short cycle on the default target, so a newcomer
/// sees evolution without writing anything. Off with <c>Orchestrator:Schedules:DemoCycleOnFirstStart=false</c>.
/// </summary>
public sealed class DemoCycle(CycleStore cycles, CycleLauncher launcher, IOptions<ScheduleOptions> options, ILogger<DemoCycle> logger) : BackgroundService
{
    public static readonly StartCycleRequest Request = new(null, 3, null, 5, 30_000, null, null);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.DemoCycleOnFirstStart) return;
        if ((await cycles.ListAsync(null, 1, stoppingToken)).Count > 0) return;
        for (var attempt = 1; attempt <= 30 && !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                var outcome = await launcher.StartAsync(Request, "demo", stoppingToken);
                logger.LogInformation("Demo cycle: {Outcome}", outcome.Describe());
                return;
            }
            catch (HttpRequestException ex)
            {
                // The other services may still be starting.
                logger.LogDebug(ex, "Demo cycle: services not ready (attempt {Attempt})", attempt);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }
}
