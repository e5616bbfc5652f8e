using System.Text.Json;
using Dean.Orchestrator.Auth;
using Dean.Orchestrator.Clients;
using Dean.Orchestrator.Evolution;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Dean.Orchestrator.Operations;

/// <summary>The runbook's operational views and actions served by the orchestrator (port 8082).</summary>
public static class OperationsApi
{
    public sealed record PopulationStatusResponse(int Total, IReadOnlyDictionary<string, int> ByStatus, IReadOnlyList<string> ActiveAgentIds,
        DiversityResponse? Diversity, IReadOnlyList<string> RunningCycles, double? BestFitness, string? BestAgentId);

    public sealed record SpawnRequest(int? PopulationSize, long? TokenBudget, string[]? Goals, string? Target, double? DiversityTarget);

    public sealed record SpawnResponse(IReadOnlyList<string> AgentIds, double? InitialDiversity, long TokensAllocated);

    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Operations");
        api.MapGet("/services/status", ServicesStatusAsync).RequireAuthorization(Policies.Viewer)
            .WithName("ServicesStatus").WithSummary("Status, latency and version of every service, PostgreSQL and Redis");
        api.MapGet("/metrics/tokens", TokenMetricsAsync).RequireAuthorization(Policies.Viewer)
            .WithName("TokenMetrics").WithSummary("Token budget, consumption and efficiency across DEAN");
        api.MapGet("/population/status", PopulationStatusAsync).RequireAuthorization(Policies.Viewer)
            .WithName("PopulationStatus").WithSummary("Agents by status, diversity of the active population, running cycles");
        api.MapPost("/agents/spawn", SpawnAsync).RequireAuthorization(Policies.Operator)
            .WithName("SpawnAgents").WithSummary("Spawn a population after a budget pre-check");
        api.MapPost("/patterns/archive", ArchivePatternsAsync).RequireAuthorization(Policies.Operator)
            .WithName("ArchivePatterns").WithSummary("Archive patterns older than N days used fewer than M times");
        return app;
    }

    private static async Task<Ok<ServicesStatusResponse>> ServicesStatusAsync(ServiceStatusProbe probe, CancellationToken ct)
    {
        var services = await probe.ProbeAllAsync(ct);
        var overall = services.Values.All(s => s.Status == "healthy") ? "healthy" : services.Values.Any(s => s.Status == "unhealthy") ? "unhealthy" : "degraded";
        return TypedResults.Ok(new ServicesStatusResponse(overall, services));
    }

    private static async Task<Ok<TokenMetricsResponse>> TokenMetricsAsync(EconomyClient economy, IndexAgentClient indexAgent, CancellationToken ct)
    {
        var budget = await economy.GetBudgetAsync(ct);
        var usage = await economy.GetUsageAsync(24 * 365, ct);
        var patternCount = (int)await indexAgent.CountPatternsAsync(ct);
        var agents = (int)(await indexAgent.ListAgentsAsync(null, 1, 0, ct)).Total;
        return TypedResults.Ok(new TokenMetricsResponse(
            budget.GlobalBudget, budget.Allocated, budget.Consumed, budget.GlobalBudget - budget.Consumed - budget.Reserved,
            budget.EfficiencyScore,
            patternCount == 0 ? null : Math.Round((double)budget.Consumed / patternCount, 1),
            agents == 0 ? null : Math.Round((double)budget.Consumed / agents, 1),
            patternCount, agents,
            usage.ByAgent.OrderByDescending(a => a.Consumed).Select(a => new AgentConsumption(a.AgentId, a.Allocated, a.Consumed)).ToList()));
    }

    private static async Task<Ok<PopulationStatusResponse>> PopulationStatusAsync(IndexAgentClient indexAgent, CycleStore cycles, CancellationToken ct)
    {
        var all = await indexAgent.ListAllAgentsAsync(null, ct);
        var active = all.Where(a => a.Status == "active").ToList();
        var diversity = active.Count >= 2 ? await indexAgent.DiversityAsync(active.Select(a => a.Id).ToList(), ct) : null;
        var best = active.Where(a => a.Fitness is not null).MaxBy(a => a.Fitness);
        var running = await cycles.ListAsync(CycleStatus.Running, 100, ct);
        return TypedResults.Ok(new PopulationStatusResponse(all.Count,
            all.GroupBy(a => a.Status).ToDictionary(g => g.Key, g => g.Count()),
            active.Select(a => a.Id).ToList(), diversity, running.Select(c => c.Id).ToList(), best?.Fitness, best?.Id));
    }

    private static async Task<Results<Created<SpawnResponse>, ValidationProblem, ProblemHttpResult>> SpawnAsync(
        SpawnRequest request, EconomyClient economy, IndexAgentClient indexAgent, IOptions<OrchestratorOptions> options, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var most = options.Value.MaxSpawnBatch;
        var size = request.PopulationSize ?? 0;
        if (size < 1 || size > most) errors["population_size"] = [$"population_size must be within [1, {most}] (Orchestrator:MaxSpawnBatch)"];
        if (request.TokenBudget is not > 0) errors["token_budget"] = ["token_budget must be a positive integer"];
        if (request.Goals is { } goals && (goals.Length == 0 || goals.Any(string.IsNullOrWhiteSpace))) errors["goals"] = ["goals must be non-empty strings"];
        if (request.DiversityTarget is < 0 or > 1) errors["diversity_target"] = ["diversity_target must be within [0, 1]"];
        if (request.Target is { Length: 0 }) errors["target"] = ["target must not be empty"];
        if (errors.Count > 0) return Problems.Invalid(errors);

        var perAgent = request.TokenBudget!.Value / size;
        if (perAgent <= 0) return Problems.Invalid("token_budget", $"token_budget must give each of the {size} agents at least one token");
        var budget = await economy.GetBudgetAsync(ct);
        if (budget.Available < perAgent * size)
            return Problems.BudgetExceeded($"Spawning needs {perAgent * size} tokens; {budget.Available} are available.");

        var ids = new List<string>();
        long allocated = 0;
        for (var i = 0; i < size; i++)
        {
            var goal = request.Goals is { Length: > 0 } g ? g[i % g.Length] : "improve the target's score";
            var agent = await indexAgent.CreateAgentAsync(goal, request.Target, perAgent, null, ct);
            ids.Add(agent.Id);
            allocated += agent.TokenBudget.Total;
        }
        double? diversity = ids.Count >= 2 ? (await indexAgent.DiversityAsync(ids, ct)).Diversity : null;
        return TypedResults.Created("/api/v1/population/status", new SpawnResponse(ids, diversity, allocated));
    }

    private static async Task<Results<Ok<ArchiveResponse>, ValidationProblem>> ArchivePatternsAsync(ArchiveRequest request, IndexAgentClient indexAgent, CancellationToken ct)
    {
        if (request.OlderThanDays is not >= 0) return Problems.Invalid("older_than_days", "older_than_days must be a non-negative integer");
        if (request.MinUsage is not >= 0) return Problems.Invalid("min_usage", "min_usage must be a non-negative integer");
        return TypedResults.Ok(await indexAgent.ArchivePatternsAsync(request.OlderThanDays.Value, request.MinUsage.Value, ct));
    }
}
