using Dean.Contracts.IndexAgent;
using Dean.Orchestrator.Clients;
using Hangfire;

namespace Dean.Orchestrator.Evolution;

/// <summary>
/// What starting a cycle came to: started, refused as invalid (by field), refused for lack of budget, or refused because
/// an agent already belongs to a cycle that has not ended.
/// </summary>
public sealed record StartCycleOutcome(Cycle? Started, IDictionary<string, string[]>? Invalid, string? BudgetRefusal, BusyAgent? Busy = null)
{
    /// <summary>One line for logs: the cycle started, or why not.</summary>
    public string Describe() =>
        Started?.Id ?? BudgetRefusal ?? Busy?.Detail ?? string.Join("; ", Invalid?.SelectMany(e => e.Value) ?? []);
}

/// <summary>
/// Validates a cycle at the economy, funds its pool from the global budget and enqueues its job: the one way a cycle
/// starts, whether from the API, a schedule or the first-start demo.
/// </summary>
public sealed class CycleLauncher(CycleStore cycles, EconomyClient economy, IndexAgentClient indexAgent, IBackgroundJobClient jobs, Emergency.EmergencyStore emergency)
{
    public async Task<StartCycleOutcome> StartAsync(StartCycleRequest request, string startedBy, CancellationToken ct)
    {
        request = await WithTargetDefaultsAsync(request, ct);
        var errors = Validate(request);
        if (errors.Count > 0) return new StartCycleOutcome(null, errors, null);
        if (await emergency.ActiveAsync(ct) is { } stop)
            return Invalid("emergency", $"emergency stop {stop.Id} is in force; POST /api/v1/emergency/resume first");

        var populationIds = request.PopulationIds;
        var populationSize = populationIds?.Length ?? request.PopulationSize!.Value;
        var validation = await economy.ValidateAsync(populationSize, request.Generations!.Value, request.TokenBudget!.Value, null, ct);
        // Existing agents may be evolved in any number: the population-size range applies to populations a cycle spawns.
        var violations = validation.Violations.Where(v => populationIds is null || v.Constraint != "population_size_range").ToList();
        if (violations.Count > 0)
            return new StartCycleOutcome(null, violations.GroupBy(v => v.Constraint).ToDictionary(g => g.Key, g => g.Select(v => v.Message).ToArray()), null);

        foreach (var id in populationIds ?? [])
        {
            var agent = await indexAgent.GetAgentAsync(id, ct);
            if (agent is null) return Invalid("population_ids", $"agent '{id}' does not exist");
            // A budget_exhausted agent may join: the cycle funds it from its own pool.
            if (agent.Status is not ("active" or "budget_exhausted"))
                return Invalid("population_ids", $"agent '{id}' is {agent.Status}, not active or budget_exhausted");
        }

        var constraints = await economy.GetConstraintsAsync(ct);
        var creation = await cycles.CreateAsync(request.Target, populationIds ?? [], request.PopulationSize, request.Generations.Value,
            request.TokenBudget.Value, request.CaRules ?? [.. CaRules.Supported], request.DiversityThreshold ?? constraints.MinDiversity, startedBy, ct);
        if (creation.Busy is { } busy) return new StartCycleOutcome(null, null, null, busy);
        var cycle = creation.Created!;
        var funding = await economy.AllocateAsync(cycle.Pool, cycle.TokenBudget, "normal", $"budget of {cycle.Id}", null, $"{cycle.Id}:budget", ct);
        if (funding.Refused)
        {
            await cycles.EndAsync(cycle.Id, CycleStatus.Failed, funding.RefusalDetail, CancellationToken.None);
            return new StartCycleOutcome(null, null, $"The global budget cannot fund {cycle.TokenBudget} tokens for {cycle.Id}: {funding.RefusalDetail}");
        }
        if (funding.Granted!.AllocatedTokens < cycle.TokenBudget)
        {
            // A cycle runs on exactly the budget it asked for: a partial grant goes back rather than silently shrinking it.
            await economy.ReturnUnusedAsync(cycle.Pool, null, $"{cycle.Id}:budget-partial", CancellationToken.None);
            await cycles.EndAsync(cycle.Id, CycleStatus.Failed, "only part of the budget was available", CancellationToken.None);
            return new StartCycleOutcome(null, null, $"Only {funding.Granted.AllocatedTokens} of {cycle.TokenBudget} tokens are available.");
        }
        jobs.Enqueue<CycleRunner>(runner => runner.RunAsync(cycle.Id, null, CancellationToken.None));
        return new StartCycleOutcome(cycle, null, null);
    }

    /// <summary>
    /// What the request leaves out, from the target's peer config (OpenEvolve's <c>database.population_size</c> within
    /// the constraints' <c>population_size_range</c>, generations = ⌈<c>max_iterations</c> / size⌉): the request's own values win.
    /// </summary>
    private async Task<StartCycleRequest> WithTargetDefaultsAsync(StartCycleRequest request, CancellationToken ct)
    {
        var hasPopulation = request.PopulationIds is not null || request.PopulationSize is not null;
        if (request.Target is not { Length: > 0 } name || hasPopulation && request.Generations is not null) return request;
        if (await indexAgent.GetTargetAsync(name, ct) is not { Task: var task } || task.MaxIterations is null && task.PopulationSize is null) return request;
        var range = (await economy.GetConstraintsAsync(ct)).PopulationSizeRange;
        var size = hasPopulation ? request.PopulationIds?.Length ?? request.PopulationSize : null;
        var (defaultSize, generations) = PeerDefaults(size ?? task.PopulationSize, task.MaxIterations, range[0], range[1]);
        return request with
        {
            PopulationSize = hasPopulation ? request.PopulationSize : defaultSize,
            Generations = request.Generations ?? generations,
        };
    }

    /// <summary>A population size clamped to [min, max], and the generations <paramref name="maxIterations"/> evaluations make at that size.</summary>
    public static (int? Size, int? Generations) PeerDefaults(int? populationSize, int? maxIterations, int min, int max)
    {
        int? size = populationSize is { } p ? Math.Clamp(p, min, max) : null;
        var divisor = size ?? min;
        return (size, maxIterations is { } n ? (n + divisor - 1) / divisor : null);
    }

    /// <summary>Shape checks that need no other service.</summary>
    public static Dictionary<string, string[]> Validate(StartCycleRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Generations is not > 0) errors["generations"] = ["generations must be a positive integer"];
        if (request.TokenBudget is not > 0) errors["token_budget"] = ["token_budget must be a positive integer"];
        var populationIds = request.PopulationIds;
        if ((populationIds is null) == (request.PopulationSize is null))
            errors["population"] = ["give either population_ids or population_size"];
        if (populationIds is not null && (populationIds.Length == 0 || populationIds.Any(string.IsNullOrWhiteSpace)))
            errors["population_ids"] = ["population_ids must be a non-empty list of agent ids"];
        else if (populationIds is not null && populationIds.Distinct().Count() != populationIds.Length)
            errors["population_ids"] = ["population_ids must not repeat an agent"];
        if (request.PopulationSize is <= 0) errors["population_size"] = ["population_size must be positive"];
        if (request.CaRules is { } rules && (rules.Length == 0 || rules.Any(r => !CaRules.IsSupported(r))))
            errors["ca_rules"] = [$"ca_rules must be a non-empty subset of {string.Join(", ", CaRules.Supported)}"];
        if (request.DiversityThreshold is < 0 or > 1) errors["diversity_threshold"] = ["diversity_threshold must be within [0, 1]"];
        if (request.Target is { Length: 0 }) errors["target"] = ["target must not be empty"];
        return errors;
    }

    private static StartCycleOutcome Invalid(string field, string message) => new(null, new Dictionary<string, string[]> { [field] = [message] }, null);
}
