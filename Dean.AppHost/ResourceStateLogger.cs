using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dean.AppHost;

/// <summary>Prints resource state changes to the console, for scripts and CI where nobody looks at the dashboard.</summary>
internal sealed class ResourceStateLogger(ResourceNotificationService notifications, ILogger<ResourceStateLogger> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var last = new Dictionary<string, string>();
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                var state = $"{update.Snapshot.State?.Text ?? "-"} health={update.Snapshot.HealthStatus?.ToString() ?? "-"}";
                if (last.TryGetValue(update.Resource.Name, out var previous) && previous == state) continue;
                last[update.Resource.Name] = state;
                logger.LogInformation("resource {Name}: {State}", update.Resource.Name, state);
            }
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }
    }
}
