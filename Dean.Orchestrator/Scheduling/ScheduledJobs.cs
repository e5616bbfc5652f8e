using Dean.Orchestrator.Clients;
using Dean.Orchestrator.Evolution;
using Hangfire;
using Microsoft.Extensions.Options;

namespace Dean.Orchestrator.Scheduling;

/// <summary>The work behind each recurring job (one method per DAG id). Each logs what it did.</summary>
public sealed class ScheduledJobs(
    EconomyClient economy, IndexAgentClient indexAgent, CycleStore cycles, CycleLauncher launcher,
    IOptions<ScheduleOptions> options, ILogger<ScheduledJobs> logger)
{
    [AutomaticRetry(Attempts = 2)]
    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    public async Task TokenEconomyAsync(CancellationToken ct)
    {
        var decay = await economy.DecayAsync(ct);
        var rebalance = await economy.RebalanceAsync(ct);
        logger.LogInformation("dean_token_economy: {Decayed} tokens decayed from {Accounts} accounts; {Moved} tokens rebalanced in {Moves} moves",
            decay.TotalDecayed, decay.Decayed.Count, rebalance.TotalMoved, rebalance.Moves.Count);
    }

    [AutomaticRetry(Attempts = 2)]
    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    public async Task PatternDiscoveryAsync(CancellationToken ct)
    {
        var discovered = await indexAgent.DiscoverPatternsAsync(ct);
        logger.LogInformation("dean_pattern_discovery: {Scanned} changes scanned, {Discovered} new patterns, {Reused} seen before",
            discovered.Scanned, discovered.Discovered, discovered.Reused);
    }

    [AutomaticRetry(Attempts = 2)]
    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    public async Task SystemMaintenanceAsync(CancellationToken ct)
    {
        var expired = await economy.ExpireReservationsAsync(ct);
        var pruned = await indexAgent.PruneWorktreesAsync(ct);
        logger.LogInformation("dean_system_maintenance: {Expired} reservations expired ({Tokens} tokens released); {Count} orphaned worktrees pruned",
            expired.Expired, expired.ReleasedTokens, pruned.Pruned.Count);
    }

    /// <summary>Keeps the free population (agents in no running cycle) within the constraint's size range.</summary>
    [AutomaticRetry(Attempts = 2)]
    [DisableConcurrentExecution(timeoutInSeconds: 1800)]
    public async Task PopulationManagerAsync(CancellationToken ct)
    {
        var constraints = await economy.GetConstraintsAsync(ct);
        var (min, max) = (constraints.PopulationSizeRange[0], constraints.PopulationSizeRange[1]);
        var busy = await BusyAgentsAsync(ct);
        var active = await indexAgent.ListAllAgentsAsync("active", ct);
        var plan = PopulationPlan.For(active.Select(a => (a.Id, a.Fitness)).ToList(), busy, min, max);
        foreach (var _ in Enumerable.Range(0, plan.Spawn))
        {
            var agent = await indexAgent.CreateAgentAsync("improve the default target", null, constraints.TokenLimitPerGeneration, null, ct);
            logger.LogInformation("dean_population_manager: spawned {AgentId}", agent.Id);
        }
        foreach (var id in plan.Retire)
        {
            await indexAgent.RetireAgentAsync(id, ct);
            logger.LogInformation("dean_population_manager: retired {AgentId}", id);
        }
        logger.LogInformation("dean_population_manager: {Active} active, spawned {Spawned}, retired {Retired}", active.Count, plan.Spawn, plan.Retire.Count);
    }

    /// <summary>One evolution step for every free active agent, when the operator enabled scheduled evolution.</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 3600)]
    public async Task AgentEvolutionAsync(CancellationToken ct)
    {
        if (!options.Value.EvolveDefaultPopulation)
        {
            logger.LogInformation("dean_agent_evolution: scheduled evolution is off (Orchestrator:Schedules:EvolveDefaultPopulation)");
            return;
        }
        var busy = await BusyAgentsAsync(ct);
        var agents = (await indexAgent.ListAllAgentsAsync("active", ct)).Where(a => !busy.Contains(a.Id)).ToList();
        var accepted = 0;
        foreach (var agent in agents)
        {
            if ((await indexAgent.EvolveOutsideCycleAsync(agent.Id, ct)).Accepted) accepted++;
        }
        logger.LogInformation("dean_agent_evolution: {Steps} steps, {Accepted} accepted", agents.Count, accepted);
    }

    /// <summary>Starts a cycle on the default population when enabled and none is running.</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 600)]
    public async Task EvolutionCycleAsync(CancellationToken ct)
    {
        var settings = options.Value;
        if (!settings.EvolveDefaultPopulation)
        {
            logger.LogInformation("dean_evolution_cycle: scheduled evolution is off (Orchestrator:Schedules:EvolveDefaultPopulation)");
            return;
        }
        if ((await cycles.ListAsync(CycleStatus.Running, 1, ct)).Count > 0)
        {
            logger.LogInformation("dean_evolution_cycle: a cycle is already running");
            return;
        }
        var outcome = await launcher.StartAsync(new StartCycleRequest(null, settings.DefaultPopulationSize, null, settings.DefaultGenerations,
            settings.DefaultCycleBudget, null, null), "schedule:dean_evolution_cycle", ct);
        logger.LogInformation("dean_evolution_cycle: {Outcome}", outcome.Describe());
    }

    private async Task<HashSet<string>> BusyAgentsAsync(CancellationToken ct)
    {
        var running = await cycles.ListAsync(CycleStatus.Running, 500, ct);
        return running.SelectMany(c => c.PopulationIds).ToHashSet();
    }
}

/// <summary>The population manager's decision, without I/O.</summary>
public sealed record PopulationPlan(int Spawn, IReadOnlyList<string> Retire)
{
    /// <summary>Spawn up to the minimum; above the maximum retire the least fit free agents, at most <see cref="CaRules.MaxRetireFraction"/> at a time.</summary>
    public static PopulationPlan For(IReadOnlyList<(string Id, double? Fitness)> active, ISet<string> busy, int min, int max)
    {
        if (active.Count < min) return new PopulationPlan(min - active.Count, []);
        if (active.Count <= max) return new PopulationPlan(0, []);
        var limit = Math.Min(active.Count - max, (int)Math.Floor(active.Count * CaRules.MaxRetireFraction));
        var retire = active.Where(a => !busy.Contains(a.Id)).OrderBy(a => a.Fitness ?? double.NegativeInfinity).ThenBy(a => a.Id, StringComparer.Ordinal)
            .Take(Math.Max(0, limit)).Select(a => a.Id).ToList();
        return new PopulationPlan(0, retire);
    }
}
