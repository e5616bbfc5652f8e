using System.CommandLine;
using System.Diagnostics;
using Dean.Contracts.Orchestrator;
using Spectre.Console;

namespace Dean.Cli.Commands;

/// <summary>
/// <c>dean status</c>: each service's own <c>/health</c>, probed directly (so a stopped Orchestrator does not hide the others),
/// and the stores the Orchestrator sees. Exit code 1 when anything is unhealthy, so scripts and cron can use it.
/// </summary>
public static class StatusCommand
{
    // A service answers /health within its dependencies' 2 s alive timeout; the margin covers a loaded machine.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    public sealed record Row(string Component, string Status, double LatencyMs, string? Version, string? Detail);

    public static Command Create(CommandContext context)
    {
        var command = new Command("status", "The health of every service and store (exit code 1 when any is unhealthy)");
        command.SetAction(context.Action(async (_, api, output, ct) =>
        {
            var rows = new List<Row>();
            foreach (var service in Enum.GetValues<Service>()) rows.Add(await ProbeAsync(api, service, ct));
            if (rows[0].Status != "unhealthy")
            {
                try
                {
                    var seen = await api.GetAsync<ServicesStatusResponse>(Service.Orchestrator, "/api/v1/services/status", ct);
                    rows.AddRange(seen.Services.Where(s => !rows.Any(r => r.Component.Equals(s.Key, StringComparison.OrdinalIgnoreCase)))
                        .Select(s => new Row(s.Key, s.Value.Status, s.Value.LatencyMs, s.Value.Version, s.Value.Detail)));
                }
                catch (ApiProblem problem)
                {
                    rows.Add(new Row("stores", "unknown", 0, null, $"{problem.Detail ?? problem.Title} (sign in with `dean login` to see them)"));
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    rows.Add(new Row("stores", "unknown", 0, null, $"the Orchestrator did not report them: {e.Message}"));
                }
            }
            var overall = rows.Any(r => r.Status == "unhealthy") ? "unhealthy" : rows.Any(r => r.Status != "healthy") ? "degraded" : "healthy";
            output.Show(new { status = overall, components = rows }, _ =>
            {
                var table = Output.Table("Component", "Status", "Latency", "Version", "Detail");
                foreach (var row in rows)
                    table.AddRow(Markup.Escape(row.Component), Output.Status(row.Status), $"{row.LatencyMs:0} ms", Markup.Escape(row.Version ?? ""), Markup.Escape(row.Detail ?? ""));
                return table.Title($"DEAN is {overall}");
            });
            return overall == "unhealthy" ? 1 : 0;
        }));
        return command;
    }

    private static async Task<Row> ProbeAsync(DeanApi api, Service service, CancellationToken ct)
    {
        var name = service.ToString().ToLowerInvariant();
        var clock = Stopwatch.StartNew();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ProbeTimeout);
            var health = await api.HealthAsync(service, timeout.Token);
            var failing = health.Components.Where(c => c.Value.Status != "healthy").Select(c => $"{c.Key}: {c.Value.Description ?? c.Value.Status}");
            return new Row(name, health.Status, clock.Elapsed.TotalMilliseconds, health.Version, string.Join("; ", failing) is { Length: > 0 } d ? d : null);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or ApiProblem or System.Text.Json.JsonException && !ct.IsCancellationRequested)
        {
            return new Row(name, "unhealthy", clock.Elapsed.TotalMilliseconds, null, $"cannot reach {api.Endpoints.For(service)}: {e.Message}");
        }
    }
}
