using System.Text.Json;
using Dean.Orchestrator.Clients;
using Hangfire;
using Hangfire.Server;

namespace Dean.Orchestrator.Evolution;

/// <summary>
/// Runs one evolution cycle as a durable Hangfire job (DESIGN 9). Every completed generation is persisted before the
/// next starts; a job restarted after a crash resumes after the last completed generation and skips the agent steps
/// already taken; an advisory lock keeps one cycle id from running twice at once.
/// </summary>
public sealed class CycleRunner(
    CycleStore cycles, EconomyClient economy, IndexAgentClient indexAgent, CycleEvents events, CycleMetrics metrics,
    TimeProvider time, ILogger<CycleRunner> logger)
{
    public const int MaxAttempts = 10;
    private const int StepParallelism = 4;

    private enum GenerationOutcome { Completed, BudgetExhausted }

    [AutomaticRetry(Attempts = MaxAttempts, DelaysInSeconds = [1, 2, 5, 10, 15, 30, 30, 60, 60, 60], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    [JobDisplayName("evolution cycle {0}")]
    public async Task RunAsync(string cycleId, PerformContext? context, CancellationToken shutdown)
    {
        await using var cycleLock = await cycles.TryLockAsync(cycleId, shutdown);
        if (cycleLock is null)
        {
            logger.LogInformation("Cycle {CycleId} is already running elsewhere", cycleId);
            return;
        }
        var cycle = await cycles.GetAsync(cycleId, shutdown);
        if (cycle is null || CycleStatus.IsTerminal(cycle.Status)) return;

        await using var stop = await events.ListenForStopAsync(cycleId);
        using var running = CancellationTokenSource.CreateLinkedTokenSource(shutdown, stop.Token);
        metrics.CycleStarted();
        try
        {
            if (!await cycles.MarkRunningAsync(cycleId, shutdown))
            {
                await FinishAsync(cycle, CycleStatus.Stopped, null);
                return;
            }
            await PublishAsync(cycle, "cycle_running", CycleStatus.Running, cycle.CurrentGeneration);
            cycle = await SpawnRequestedPopulationAsync(cycle, running.Token);
            var constraints = await economy.GetConstraintsAsync(running.Token);

            var resuming = true;
            for (var generation = cycle.CurrentGeneration + 1; generation <= cycle.TotalGenerations; generation++, resuming = false)
            {
                if (await cycles.StatusAsync(cycleId, running.Token) == CycleStatus.Stopping) stop.Cancel();
                running.Token.ThrowIfCancellationRequested();
                if (await RunGenerationAsync(cycle, generation, constraints, resuming, running.Token) == GenerationOutcome.BudgetExhausted)
                {
                    await FinishAsync(cycle, CycleStatus.BudgetExhausted, "the cycle's pool cannot fund another generation");
                    return;
                }
                cycle = (await cycles.GetAsync(cycleId, running.Token))!;
            }
            await FinishAsync(cycle, CycleStatus.Completed, null);
        }
        catch (OperationCanceledException) when (!shutdown.IsCancellationRequested)
        {
            await FinishAsync(cycle, CycleStatus.Stopped, null);
        }
        catch (Exception ex) when (!shutdown.IsCancellationRequested && IsFinalAttempt(context, ex))
        {
            logger.LogError(ex, "Cycle {CycleId} failed", cycleId);
            await FinishAsync(cycle, CycleStatus.Failed, ex.Message);
        }
        finally
        {
            metrics.CycleLeft();
        }
    }

    /// <summary>Errors a retry cannot fix (a 4xx from a service) fail at once; others fail after the last attempt.</summary>
    private static bool IsFinalAttempt(PerformContext? context, Exception ex)
    {
        if (ex is DownstreamException { Status: >= System.Net.HttpStatusCode.BadRequest and < System.Net.HttpStatusCode.InternalServerError }) return true;
        var retries = context?.GetJobParameter<int>("RetryCount") ?? 0;
        return retries >= MaxAttempts;
    }

    /// <summary>Spawns the population a start request asked for by size (once: spawned ids are persisted).</summary>
    private async Task<Cycle> SpawnRequestedPopulationAsync(Cycle cycle, CancellationToken ct)
    {
        if (cycle.RequestedPopulation is not { } size || cycle.PopulationIds.Length >= size) return cycle;
        var constraints = await economy.GetConstraintsAsync(ct);
        var ids = cycle.PopulationIds.ToList();
        while (ids.Count < size)
        {
            var budget = CycleArithmetic.GenerationAllocation(cycle.TokenBudget, size, cycle.TotalGenerations, 0,
                constraints.TokenLimitPerGeneration, constraints.MaxTokensPerAgent);
            var agent = await indexAgent.CreateAgentAsync($"improve {cycle.Target ?? "the default target"} (cycle {cycle.Id})", cycle.Target, budget, cycle.Id, ct);
            ids.Add(agent.Id);
            await cycles.UpdatePopulationAsync(cycle.Id, [.. ids], CancellationToken.None);
            await PublishAsync(cycle, "agent_spawned", CycleStatus.Running, cycle.CurrentGeneration, new { agent_id = agent.Id, agent.Fitness });
        }
        return (await cycles.GetAsync(cycle.Id, ct))!;
    }

    /// <summary>
    /// One generation: fund each agent from the pool, one step per agent, then the population step. When
    /// <paramref name="resuming"/> (the first generation a job runs), steps the IndexAgent recorded before a crash but
    /// this store did not are adopted rather than taken again.
    /// </summary>
    private async Task<GenerationOutcome> RunGenerationAsync(Cycle cycle, int generation, EvolutionConstraints constraints, bool resuming, CancellationToken ct)
    {
        var startedAt = time.GetUtcNow().UtcDateTime;
        await PublishAsync(cycle, "generation_started", CycleStatus.Running, generation);
        var done = (await cycles.StepsAsync(cycle.Id, generation, ct)).Select(s => s.AgentId).ToHashSet();
        var agents = new List<AgentResponse>();
        foreach (var id in cycle.PopulationIds)
        {
            // budget_exhausted agents are funded below like the others; a funded step makes them active again.
            if (await indexAgent.GetAgentAsync(id, ct) is { Status: "active" or "budget_exhausted" } agent) agents.Add(agent);
        }
        if (resuming)
        {
            foreach (var agent in agents.Where(a => !done.Contains(a.Id)))
            {
                if (await indexAgent.FindCandidateAsync(agent.Id, cycle.Id, generation, ct) is not { } taken) continue;
                await cycles.RecordStepAsync(cycle.Id, generation,
                    new StepRecord(agent.Id, taken.Id, taken.Accepted, taken.Score, taken.TokensUsed, taken.Reason, taken.EditKind, taken.Evaluation,
                        StepRecord.Reached(taken.Stages)), CancellationToken.None);
                done.Add(agent.Id);
            }
        }

        // What the pool still holds, spread over the agents and generations still to come: a population that grew
        // (children, forks) shares what is left rather than what the cycle started with.
        var poolLeft = (await economy.GetAccountAsync(cycle.Pool, ct))?.Remaining ?? 0;
        var generationsLeft = cycle.TotalGenerations - generation + 1;
        var funded = new List<AgentResponse>();
        foreach (var agent in agents.Where(a => !done.Contains(a.Id)))
        {
            var target = CycleArithmetic.GenerationAllocation(poolLeft, Math.Max(1, agents.Count), generationsLeft,
                agent.TokenEfficiency, constraints.TokenLimitPerGeneration, constraints.MaxTokensPerAgent);
            // The Economy's account is the budget's truth (the IndexAgent's copy catches up at the agent's next step).
            var remaining = (await economy.GetAccountAsync(agent.Id, ct))?.Remaining ?? 0;
            var topUp = CycleArithmetic.TopUp(target, remaining);
            if (topUp > 0)
            {
                var allocation = await economy.AllocateAsync(agent.Id, topUp, "normal", $"{cycle.Id} generation {generation}", cycle.Pool,
                    $"{cycle.Id}:g{generation}:fund:{agent.Id}", ct);
                if (allocation.Refused && remaining <= 0) continue;
            }
            funded.Add(agent);
        }
        if (funded.Count == 0 && done.Count == 0) return GenerationOutcome.BudgetExhausted;

        await Parallel.ForEachAsync(funded, new ParallelOptions { MaxDegreeOfParallelism = StepParallelism, CancellationToken = ct }, async (agent, token) =>
        {
            var result = await indexAgent.EvolveAsync(agent.Id, cycle.Id, generation, CycleArithmetic.StepSeed(cycle.Id, generation, agent.Id), token);
            await cycles.RecordStepAsync(cycle.Id, generation,
                new StepRecord(agent.Id, result.CandidateId, result.Accepted, result.Score, result.TokensUsed, result.Reason, result.EditKind, result.Evaluation,
                    StepRecord.Reached(result.Stages)),
                CancellationToken.None);
            metrics.Step(result.Accepted);
            await PublishAsync(cycle, "step_completed", CycleStatus.Running, generation, new
            {
                agent_id = agent.Id, result.CandidateId, result.Accepted, result.Score, result.TokensUsed, result.EvaluationMs, result.Reason, result.EditKind,
                result.Evaluation,
            });
        });

        var steps = await cycles.StepsAsync(cycle.Id, generation, ct);
        var population = agents.Select(a => a.Id).ToList();
        var step = await indexAgent.EvolvePopulationAsync(population, cycle.Id, generation, cycle.CaRules, cycle.DiversityThreshold,
            cycle.PopulationSize, cycle.RequestedPopulation is null, ct);
        var retired = step.Retired.Select(r => r.AgentId).ToHashSet();
        var nextPopulation = population.Where(id => !retired.Contains(id))
            .Concat(step.Spawned.Select(s => s.AgentId)).Concat(step.Forked.Select(f => f.AgentId)).Distinct().ToArray();

        var fitness = new List<(string, double?)>();
        foreach (var id in population)
            fitness.Add((id, (await indexAgent.GetAgentAsync(id, ct))?.Fitness));
        var (best, mean, bestAgent) = CycleArithmetic.Summarise(fitness);
        var record = new GenerationRecord(generation, best, mean, step.DiversityAfter, steps.Count(s => s.Accepted), steps.Count(s => s.Evaluated),
            steps.Sum(s => s.TokensUsed), step.CaRulesFired, startedAt, time.GetUtcNow().UtcDateTime);
        if (await cycles.CompleteGenerationAsync(cycle.Id, record, nextPopulation, step.PatternsDiscovered.Count, best, bestAgent, CancellationToken.None))
        {
            metrics.GenerationCompleted(best);
            await PublishAsync(cycle, "generation_completed", CycleStatus.Running, generation, record);
        }
        return GenerationOutcome.Completed;
    }

    /// <summary>Ends the cycle once and gives its unused budget back: pool-funded agents' unused tokens to the pool, the pool's to the global budget.</summary>
    private async Task FinishAsync(Cycle cycle, string status, string? error)
    {
        var current = await cycles.GetAsync(cycle.Id, CancellationToken.None) ?? cycle;
        if (CycleStatus.IsTerminal(current.Status)) return;
        // The budget goes back before the cycle reads as ended, so whoever sees the end sees the tokens returned.
        // Returns are keyed: a second finisher racing this one replays them and moves nothing.
        long returned = 0;
        try
        {
            // Only what the pool funded goes back to it: agents that joined with their own allocation keep it.
            foreach (var agentId in current.PopulationIds)
            {
                if ((await economy.GetAccountAsync(agentId, CancellationToken.None))?.Source == current.Pool)
                    returned += await economy.ReturnUnusedAsync(agentId, current.Pool, $"{cycle.Id}:end:{agentId}", CancellationToken.None);
            }
            returned += await economy.ReturnUnusedAsync(current.Pool, null, $"{cycle.Id}:end:pool", CancellationToken.None);
        }
        catch (Exception ex) when (ex is HttpRequestException or DownstreamException)
        {
            // The budget stays allocated to the pool; the token-economy job's rebalance and decay will reclaim it.
            logger.LogWarning(ex, "Could not return the unused budget of cycle {CycleId}", cycle.Id);
        }
        if (!await cycles.EndAsync(cycle.Id, status, error, CancellationToken.None)) return;
        metrics.CycleEnded(status);
        logger.LogInformation("Cycle {CycleId} ended {Status} after generation {Generation}; {Returned} unused tokens returned",
            cycle.Id, status, current.CurrentGeneration, returned);
        await PublishAsync(current, "cycle_ended", status, current.CurrentGeneration, new { returned_tokens = returned, error });
    }

    private Task PublishAsync(Cycle cycle, string type, string status, int generation, object? data = null) =>
        events.PublishAsync(new CycleEvent(type, cycle.Id, status, generation, time.GetUtcNow().UtcDateTime, data));
}
