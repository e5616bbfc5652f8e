using Dean.IndexAgent.Economy;
using Dean.IndexAgent.Evaluation;
using Dean.IndexAgent.Evolution;
using Dean.IndexAgent.Targets;
using Dean.IndexAgent.Workspace;

namespace Dean.IndexAgent.Agents;

public sealed record SpawnRequest(
    string? Goal,
    string? Target,
    long? TokenBudget,
    Genome? Genome,
    string? Name,
    string[]? ParentIds,
    string? CycleId,
    string? Priority,
    int? Level);

public abstract record SpawnResult
{
    public sealed record Created(Agent Agent) : SpawnResult;
    public sealed record Invalid(Dictionary<string, string[]> Errors) : SpawnResult;
    public sealed record BudgetExceeded(string Detail) : SpawnResult;
}

public abstract record RetireResult
{
    public sealed record Retired(Agent Agent, long TokensReturned) : RetireResult;
    public sealed record NotFound : RetireResult;
}

/// <summary>Spawning (allocation, worktree, fitness of the starting commit) and retiring agents.</summary>
public sealed class AgentService(
    AgentStore agents,
    TargetStore targets,
    WorkspaceService workspace,
    EconomyClient economy,
    EvaluationRunner evaluator,
    AgentRegistry registry,
    AgentLocks locks,
    IndexAgentMetrics metrics,
    ILogger<AgentService> logger)
{
    public const long MaxTokenBudget = 10_000_000;
    private static readonly string[] Priorities = ["low", "normal", "high", "critical"];

    public async Task<SpawnResult> SpawnAsync(SpawnRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Goal) || request.Goal.Length > 4000) errors["goal"] = ["goal is required (at most 4000 characters)"];
        if (request.TokenBudget is not { } budget || budget < 1 || budget > MaxTokenBudget) errors["token_budget"] = [$"token_budget must be from 1 to {MaxTokenBudget}"];
        if (request.Name is { Length: > 200 }) errors["name"] = ["name is at most 200 characters"];
        if (request.Priority is not null && !Priorities.Contains(request.Priority)) errors["priority"] = ["priority must be low, normal, high or critical"];
        if (request.Level is < 0) errors["level"] = ["level must not be negative"];
        if (request.CycleId is { } cycle && (cycle.Length == 0 || cycle.Length > 100)) errors["cycle_id"] = ["cycle_id must be 1 to 100 characters"];
        if (request.Genome is not null)
            foreach (var (k, v) in request.Genome.Validate(MutationRateRange.Of(await economy.GetConstraintsAsync(ct)))) errors[k] = v;

        var target = request.Target is null ? await targets.DefaultAsync(ct) : await targets.FindAsync(request.Target, ct);
        if (target is null) errors["target"] = [request.Target is null ? "no target is registered" : $"unknown target '{request.Target}'"];

        var parents = new List<Agent>();
        if (request.ParentIds is { Length: > 0 } parentIds)
        {
            parents.AddRange(await agents.FindManyAsync(parentIds.Distinct().ToList(), ct));
            var missing = parentIds.Except(parents.Select(p => p.Id)).ToList();
            if (missing.Count > 0) errors["parent_ids"] = [$"unknown agents: {string.Join(", ", missing)}"];
            else if (target is not null && parents.Any(p => p.Target != target.Name)) errors["parent_ids"] = ["parents must evolve the same target"];
            else parents = parentIds.Distinct().Select(id => parents.First(p => p.Id == id)).ToList(); // the first parent is the one branched from
        }
        if (errors.Count > 0) return new SpawnResult.Invalid(errors);

        var id = await agents.NextIdAsync(ct);
        AllocationResponse allocation;
        try
        {
            allocation = await economy.AllocateAsync(id, request.TokenBudget!.Value, request.Priority ?? "normal", request.CycleId, $"allocate:{id}", ct);
        }
        catch (EconomyRefusedException ex)
        {
            return new SpawnResult.BudgetExceeded(ex.Message);
        }

        string? worktree = null;
        try
        {
            var parent = parents.FirstOrDefault();
            var startCommit = parent?.HeadCommit ?? target!.Head;
            worktree = await workspace.AddWorktreeAsync(target!.Path, id, startCommit, ct);

            // Fitness is the evaluator's score of the starting commit: inherited from the parent whose commit this is.
            double? fitness;
            string? feedback, current;
            if (parent is not null)
            {
                fitness = parent.Fitness;
                feedback = parent.LastFeedback;
                current = parent.CurrentFeedback;
            }
            else
            {
                var verdict = await evaluator.EvaluateAsync(worktree, target.Task, ct);
                await GitCli.ResetToHeadAsync(worktree, ct);
                fitness = verdict.Passed ? verdict.Score : null;
                feedback = verdict.Feedback ?? verdict.Reason;
                current = verdict.Feedback;
            }

            var genome = request.Genome ?? parent?.Genome ?? Genome.Default;
            var now = DateTimeOffset.UtcNow;
            var agent = new Agent(id, request.Name ?? id, request.Goal!, target.Name, genome, parents.Select(p => p.Id).ToArray(),
                parents.Count == 0 ? 0 : parents.Max(p => p.Generation) + 1, request.Level ?? 1, AgentStatus.Active, null, worktree,
                WorkspaceService.Branch(id), startCommit, startCommit, fitness, 0, null, allocation.AllocatedTokens, 0, request.CycleId,
                allocation.AllocationId.ToString(System.Globalization.CultureInfo.InvariantCulture), feedback, 0, now, now, null, CurrentFeedback: current);
            await agents.InsertAsync(agent, ct);
            await registry.SetAsync(id, AgentStatus.Active);
            await RefreshActiveGaugeAsync(ct);
            logger.LogInformation("Spawned {Agent} on {Target} at {Commit} with {Tokens} tokens, fitness {Fitness}", id, target.Name, startCommit, allocation.AllocatedTokens, fitness);
            return new SpawnResult.Created((await agents.FindAsync(id, ct))!);
        }
        catch
        {
            if (worktree is not null) await workspace.RemoveWorktreeAsync(target!.Path, worktree, CancellationToken.None);
            await ReturnUnusedAsync(id, CancellationToken.None);
            throw;
        }
    }

    public async Task<RetireResult> RetireAsync(string id, string? reason, CancellationToken ct)
    {
        using var _ = await locks.AcquireAsync(id, ct);
        var agent = await agents.FindAsync(id, ct);
        if (agent is null) return new RetireResult.NotFound();
        if (agent.Status is AgentStatus.Retired or AgentStatus.Terminated) return new RetireResult.Retired(agent, 0);

        var target = await targets.FindAsync(agent.Target, ct);
        await workspace.RemoveWorktreeAsync(target?.Path ?? Path.GetDirectoryName(agent.WorktreePath)!, agent.WorktreePath, ct);
        await agents.SetStatusAsync(id, AgentStatus.Retired, reason ?? "retired by request", ct);
        await registry.SetAsync(id, AgentStatus.Retired);
        await RefreshActiveGaugeAsync(ct);
        var returned = await ReturnUnusedAsync(id, ct);
        logger.LogInformation("Retired {Agent} ({Reason}); {Tokens} unused tokens returned", id, reason, returned);
        return new RetireResult.Retired((await agents.FindAsync(id, ct))!, returned);
    }

    public async Task MarkBudgetExhaustedAsync(string id, CancellationToken ct)
    {
        await agents.SetStatusAsync(id, AgentStatus.BudgetExhausted, null, ct);
        await registry.SetAsync(id, AgentStatus.BudgetExhausted);
        await RefreshActiveGaugeAsync(ct);
    }

    /// <summary>A budget_exhausted agent that could reserve a step again (it was funded since).</summary>
    public async Task ReactivateAsync(string id, CancellationToken ct)
    {
        await agents.SetStatusAsync(id, AgentStatus.Active, null, ct);
        await registry.SetAsync(id, AgentStatus.Active);
        await RefreshActiveGaugeAsync(ct);
    }

    public async Task RefreshActiveGaugeAsync(CancellationToken ct) => metrics.SetActiveAgents(await agents.CountActiveAsync(ct));

    /// <summary>Gives the agent's unused allocation back to the pool it came from; 0 when there was nothing (or no account).</summary>
    private async Task<long> ReturnUnusedAsync(string id, CancellationToken ct)
    {
        try
        {
            return await economy.ReturnUnusedAsync(id, $"return:{id}", ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or EconomyRefusedException or TaskCanceledException)
        {
            logger.LogWarning(ex, "Unused tokens of {Agent} not returned to the Economy", id);
            return 0;
        }
    }
}

/// <summary>
/// At start-up: the Redis registry and the active-agents gauge are rebuilt from PostgreSQL, and orphaned worktrees
/// (no agent, or a retired one, e.g. after a crash mid-retirement) are removed; their branches stay.
/// </summary>
public sealed class AgentRegistryInitializer(AgentStore agents, AgentRegistry registry, IndexAgentMetrics metrics, WorktreePruner pruner) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var statuses = await agents.StatusesAsync(cancellationToken);
        await registry.RebuildAsync(statuses);
        metrics.SetActiveAgents(statuses.Count(s => s.Status == AgentStatus.Active));

        await pruner.PruneAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
