using Dean.Contracts.Orchestrator;
using Spectre.Console;

namespace Dean.Cli.Commands;

/// <summary>
/// Follows a cycle until it ends: a live progress bar in a terminal, one line per generation otherwise (one JSON object per
/// generation with <c>--json</c>). The exit code says how it ended: 0 completed or out of budget, 1 failed or stopped.
/// </summary>
public static class CycleWatcher
{
    public static async Task<(CycleStatusResponse Status, int ExitCode)> WatchAsync(DeanApi api, Output output, string cycleId, TimeSpan poll, CancellationToken ct)
    {
        CycleStatusResponse status;
        if (output.IsLive)
        {
            status = await output.Console.Progress()
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask($"cycle {cycleId}", maxValue: 1);
                    while (true)
                    {
                        var current = await api.GetAsync<CycleStatusResponse>(Service.Orchestrator, $"/api/v1/evolution/{cycleId}/status", ct);
                        task.MaxValue = Math.Max(1, current.TotalGenerations);
                        task.Value = current.CurrentGeneration;
                        task.Description = Markup.Escape($"gen {current.CurrentGeneration}/{current.TotalGenerations}  best {Output.Score(current.BestScore)}  " +
                                                         $"agents {current.PopulationIds.Length}  tokens {current.TokensConsumed:N0}/{current.TokenBudget:N0}");
                        if (CycleStatus.IsTerminal(current.Status))
                        {
                            task.Value = task.MaxValue;
                            return current;
                        }
                        await Task.Delay(poll, ct);
                    }
                });
        }
        else
        {
            var printed = 0;
            while (true)
            {
                status = await api.GetAsync<CycleStatusResponse>(Service.Orchestrator, $"/api/v1/evolution/{cycleId}/status", ct);
                foreach (var generation in status.Generations.Where(g => g.Generation > printed).OrderBy(g => g.Generation))
                {
                    if (output.IsJson) output.WriteJson(new { cycle_id = cycleId, generation });
                    else output.Console.WriteLine(
                        $"gen {generation.Generation}/{status.TotalGenerations}  best {Output.Score(generation.BestScore)}  mean {Output.Score(generation.MeanScore)}  " +
                        $"diversity {Output.Score(generation.Diversity)}  accepted {generation.Accepted}/{generation.Evaluations}  tokens {generation.Tokens:N0}");
                    printed = generation.Generation;
                }
                if (CycleStatus.IsTerminal(status.Status)) break;
                await Task.Delay(poll, ct);
            }
        }

        if (output.IsJson) output.WriteJson(status);
        else
        {
            output.Line($"Cycle {cycleId} {Output.Status(status.Status)}: best {Output.Score(status.BestScore)} (agent {Markup.Escape(status.BestAgentId ?? "—")}), " +
                        $"{status.TokensConsumed:N0} of {status.TokenBudget:N0} tokens, {status.PatternsDiscovered} patterns");
            if (status.Error is { } error) output.Line($"[red]{Markup.Escape(error)}[/]");
        }
        return (status, status.Status is CycleStatus.Completed or CycleStatus.BudgetExhausted ? 0 : 1);
    }
}
