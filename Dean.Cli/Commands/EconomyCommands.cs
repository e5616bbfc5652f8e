using System.CommandLine;
using Dean.Contracts.Economy;
using Dean.Contracts.IndexAgent;
using Spectre.Console;

namespace Dean.Cli.Commands;

/// <summary>The agents and their tokens: <c>dean agents</c>, <c>budget</c> and <c>allocate</c>.</summary>
public static class EconomyCommands
{
    public static Command Agents(CommandContext context)
    {
        var status = new Option<string?>("--status", "-s") { Description = "Only agents in this state (active, paused, retired, archived)" };
        var limit = new Option<int>("--limit") { Description = "At most this many", DefaultValueFactory = _ => 50 };
        var command = new Command("agents", "The agents with their fitness and tokens") { status, limit };
        command.SetAction(context.Action(async (parse, api, output, ct) =>
        {
            var query = $"/api/v1/agents/?limit={parse.GetValue(limit)}" + (parse.GetValue(status) is { } s ? $"&status={Uri.EscapeDataString(s)}" : "");
            var list = await api.GetAsync<AgentListResponse>(Service.IndexAgent, query, ct);
            output.Show(list, l =>
            {
                var table = Output.Table("Agent", "Status", "Target", "Fitness", "Generation", "Steps", "Tokens used", "Cycle");
                foreach (var a in l.Agents)
                    table.AddRow(Markup.Escape(a.Id), Output.Status(a.Status), Markup.Escape(a.Target), Output.Score(a.Fitness), a.Generation.ToString(), a.Steps.ToString(),
                        $"{a.TokenBudget.Used:N0}/{a.TokenBudget.Total:N0}", Markup.Escape(a.CycleId ?? "—"));
                return table.Caption($"{l.Agents.Count} of {l.Total} agents");
            });
            return 0;
        }));
        return command;
    }

    public static Command Budget(CommandContext context)
    {
        var command = new Command("budget", "The global token budget and what is allocated, consumed and reserved");
        command.SetAction(context.Action(async (_, api, output, ct) =>
        {
            var budget = await api.GetAsync<BudgetResponse>(Service.Economy, "/api/v1/economy/budget", ct);
            output.Show(budget, b => new Grid().AddColumn().AddColumn(new GridColumn().RightAligned())
                .AddRow("Global budget", $"{b.GlobalBudget:N0}").AddRow("Allocated", $"{b.Allocated:N0}").AddRow("Consumed", $"{b.Consumed:N0}")
                .AddRow("Reserved", $"{b.Reserved:N0}").AddRow("Available", $"[bold]{b.Available:N0}[/]").AddRow("Emergency reserve", $"{b.Reserve:N0}")
                .AddRow("Agents", b.AgentsCount.ToString()).AddRow("Efficiency", Output.Score(b.EfficiencyScore)).AddRow("Last reset", $"{b.LastReset:u}"));
            return 0;
        }));
        return command;
    }

    public static Command Allocate(CommandContext context)
    {
        var agent = new Option<string>("--agent", "-a") { Description = "The agent to fund", Required = true };
        var tokens = new Option<long>("--tokens") { Description = "How many tokens", Required = true };
        var priority = new Option<string>("--priority") { Description = "low, normal, high or critical (critical may draw on the emergency reserve)", DefaultValueFactory = _ => "normal" };
        var purpose = new Option<string?>("--purpose") { Description = "Why, for the ledger" };
        var command = new Command("allocate", "Give an agent more tokens from the global budget") { agent, tokens, priority, purpose };
        command.SetAction(context.Action(async (parse, api, output, ct) =>
        {
            var request = new AllocateRequest(parse.GetValue(agent), parse.GetValue(tokens), parse.GetValue(priority), parse.GetValue(purpose), null,
                $"dean-cli-{Guid.NewGuid():N}");
            var allocation = await api.PostAsync<AllocationResponse>(Service.Economy, "/api/v1/economy/allocate", request, ct);
            output.Show(allocation, a => new Markup(
                $"Allocated [bold]{a.AllocatedTokens:N0}[/] tokens to {Markup.Escape(a.AgentId)} (now {a.AgentAllocated:N0}); {a.RemainingBudget:N0} remain in the global budget\n"));
            return 0;
        }));
        return command;
    }
}
