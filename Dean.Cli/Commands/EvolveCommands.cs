using System.CommandLine;
using Dean.Contracts.Orchestrator;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Dean.Cli.Commands;

/// <summary>Evolution cycles: <c>dean evolve start</c>, <c>cycles</c>, <c>cycle</c>, <c>stop</c>, <c>patch</c> and <c>export</c>.</summary>
public static class EvolveCommands
{
    public static Command Create(CommandContext context)
    {
        var target = new Option<string?>("--target", "-t") { Description = "The registered target (default: the default target)" };
        var size = new Option<int?>("--population-size", "-n") { Description = "How many agents to spawn" };
        var ids = new Option<string[]>("--population-ids") { Description = "Existing agents to evolve instead of spawning", AllowMultipleArgumentsPerToken = true };
        var generations = new Option<int?>("--generations", "-g") { Description = "Generations to run" };
        var budget = new Option<long?>("--budget", "-b") { Description = "The cycle's token budget" };
        var rules = new Option<int[]>("--rules") { Description = "The cellular-automata rules to apply (e.g. --rules 110 30)", AllowMultipleArgumentsPerToken = true };
        var diversity = new Option<double?>("--diversity-threshold") { Description = "The diversity below which the defence acts" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Follow the cycle until it ends" };
        var start = new Command("start", "Start an evolution cycle") { target, size, ids, generations, budget, rules, diversity, watch };
        start.SetAction(context.Action(async (parse, api, output, ct) =>
        {
            var request = new StartCycleRequest(parse.GetValue(ids) is { Length: > 0 } list ? list : null, parse.GetValue(size), parse.GetValue(target),
                parse.GetValue(generations), parse.GetValue(budget), parse.GetValue(rules) is { Length: > 0 } r ? r : null, parse.GetValue(diversity));
            var started = await api.PostAsync<StartResponse>(Service.Orchestrator, "/api/v1/evolution/start", request, ct);
            if (!parse.GetValue(watch))
            {
                output.Show(started, s => new Markup($"Cycle [bold]{s.CycleId}[/] {s.Status}; follow it with [grey]dean cycle {s.CycleId} --watch[/]\n"));
                return 0;
            }
            output.Line($"Cycle [bold]{started.CycleId}[/] started");
            return (await CycleWatcher.WatchAsync(api, output, started.CycleId, context.Settings.Poll, ct)).ExitCode;
        }));
        return new Command("evolve", "Evolution cycles") { start };
    }

    public static Command Cycles(CommandContext context)
    {
        var command = new Command("cycles", "The evolution cycles, newest first");
        command.SetAction(context.Action(async (_, api, output, ct) =>
        {
            var list = await api.GetAsync<CycleListResponse>(Service.Orchestrator, "/api/v1/evolution/", ct);
            output.Show(list, l =>
            {
                var table = Output.Table("Cycle", "Status", "Target", "Generation", "Best", "Agents", "Tokens", "Created");
                foreach (var c in l.Cycles)
                    table.AddRow(c.CycleId, Output.Status(c.Status), Markup.Escape(c.Target ?? "—"), $"{c.CurrentGeneration}/{c.TotalGenerations}",
                        Output.Score(c.BestScore), c.PopulationIds.Length.ToString(), $"{c.TokensConsumed:N0}/{c.TokenBudget:N0}", $"{c.CreatedAt:u}");
                return table.Caption($"{l.Total} cycles");
            });
            return 0;
        }));
        return command;
    }

    public static Command Cycle(CommandContext context)
    {
        var id = new Argument<string>("cycle") { Description = "The cycle's id" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Follow the cycle until it ends" };
        var command = new Command("cycle", "One cycle with its generations") { id, watch };
        command.SetAction(context.Action(async (parse, api, output, ct) =>
        {
            var cycleId = parse.GetValue(id)!;
            if (parse.GetValue(watch)) return (await CycleWatcher.WatchAsync(api, output, cycleId, context.Settings.Poll, ct)).ExitCode;
            var status = await api.GetAsync<CycleStatusResponse>(Service.Orchestrator, $"/api/v1/evolution/{Uri.EscapeDataString(cycleId)}/status", ct);
            output.Show(status, Render);
            return 0;
        }));
        return command;
    }

    public static Command Stop(CommandContext context)
    {
        var id = new Argument<string>("cycle") { Description = "The cycle to stop after its current generation" };
        var command = new Command("stop", "Stop a running cycle") { id };
        command.SetAction(context.Action(async (parse, api, output, ct) =>
        {
            var cycleId = parse.GetValue(id)!;
            var status = await api.PostAsync<CycleStatusResponse>(Service.Orchestrator, $"/api/v1/evolution/{Uri.EscapeDataString(cycleId)}/stop", null, ct);
            output.Show(status, s => new Markup($"Cycle [bold]{s.CycleId}[/] {Output.Status(s.Status)}\n"));
            return 0;
        }));
        return command;
    }

    public static Command Patch(CommandContext context)
    {
        var id = new Argument<string>("cycle") { Description = "The cycle whose best program to export" };
        var file = new Option<FileInfo?>("--output", "-o") { Description = "Write the patch here instead of standard output" };
        var command = new Command("patch", "The cycle's best program as a git patch on the target's head (git apply / git am)") { id, file };
        command.SetAction(context.Action(async (parse, api, output, ct) =>
        {
            var patch = await api.GetTextAsync(Service.Orchestrator, $"/api/v1/evolution/{Uri.EscapeDataString(parse.GetValue(id)!)}/patch", ct);
            if (parse.GetValue(file) is { } target)
            {
                await File.WriteAllTextAsync(target.FullName, patch, ct);
                output.Line($"Wrote {Markup.Escape(target.FullName)}");
            }
            else output.Console.Profile.Out.Writer.Write(patch);
            return 0;
        }));
        return command;
    }

    public static Command Export(CommandContext context)
    {
        var id = new Argument<string>("cycle") { Description = "The cycle whose best program to push" };
        var command = new Command("export", "Push the cycle's best program to the target's repository as branch dean/best/<cycle>") { id };
        command.SetAction(context.Action(async (parse, api, output, ct) =>
        {
            var export = await api.PostAsync<CycleExportResponse>(Service.Orchestrator, $"/api/v1/evolution/{Uri.EscapeDataString(parse.GetValue(id)!)}/export", null, ct);
            output.Show(export, e => new Markup(
                $"Pushed [bold]{Markup.Escape(e.Export.Branch)}[/] ({e.Export.Commit[..12]} on {e.Export.BaseCommit[..12]}) to {Markup.Escape(e.Export.Repository)}\n"));
            return 0;
        }));
        return command;
    }

    private static IRenderable Render(CycleStatusResponse s)
    {
        var summary = new Grid().AddColumn().AddColumn()
            .AddRow("Cycle", s.CycleId).AddRow("Status", Output.Status(s.Status)).AddRow("Target", Markup.Escape(s.Target ?? "—"))
            .AddRow("Generation", $"{s.CurrentGeneration}/{s.TotalGenerations}").AddRow("Best", $"{Output.Score(s.BestScore)} ({Markup.Escape(s.BestAgentId ?? "—")})")
            .AddRow("Agents", $"{s.PopulationIds.Length} (size {s.PopulationSize})").AddRow("Tokens", $"{s.TokensConsumed:N0}/{s.TokenBudget:N0}")
            .AddRow("Diversity", Output.Score(s.PopulationDiversity)).AddRow("Patterns", s.PatternsDiscovered.ToString());
        if (s.Error is { } error) summary.AddRow("Error", $"[red]{Markup.Escape(error)}[/]");
        var generations = Output.Table("Gen", "Best", "Mean", "Diversity", "Accepted", "Tokens", "Rules fired");
        foreach (var g in s.Generations)
            generations.AddRow(g.Generation.ToString(), Output.Score(g.BestScore), Output.Score(g.MeanScore), Output.Score(g.Diversity),
                $"{g.Accepted}/{g.Evaluations}", $"{g.Tokens:N0}", Markup.Escape(string.Join(" ", g.CaRulesFired.Select(r => $"{r.Key}×{r.Value}"))));
        return new Rows(summary, generations);
    }
}
