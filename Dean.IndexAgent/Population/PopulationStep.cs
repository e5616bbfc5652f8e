using System.Text;
using System.Text.Json;
using Dapper;
using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Diversity;
using Dean.IndexAgent.Economy;
using Dean.IndexAgent.Evolution;
using Dean.IndexAgent.Patterns;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Dean.IndexAgent.Population;

public abstract record PopulationResult
{
    public sealed record Done(PopulationEvolveResponse Response) : PopulationResult;
    public sealed record Invalid(string Field, string Message) : PopulationResult;
}

/// <summary>
/// The population step of DESIGN section 5 after a generation, following <c>Evolution/INTEGRATION.md</c>: the ring
/// (creation order, improved = an accepted candidate of this cycle and generation), the plan of
/// <see cref="PopulationRuleEngine"/>, its execution (spawns and forks through <see cref="AgentService.SpawnAsync"/>,
/// genome updates, pattern discovery, retirements), then the diversity defence. One step per (cycle, generation):
/// the result is stored in <c>population_steps</c> and answered again on a repeat. Steps run one at a time.
/// </summary>
public sealed class PopulationStep(
    NpgsqlDataSource db,
    AgentStore agents,
    AgentService agentService,
    AgentLocks locks,
    EconomyClient economy,
    PatternStore patterns,
    DiversityService diversity,
    PopulationMetrics metrics,
    IOptions<IndexAgentOptions> options,
    ILogger<PopulationStep> logger)
{
    private static readonly JsonSerializerOptions Json = Microsoft.Extensions.Hosting.Extensions.DeanJson;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<PopulationResult> EvolveAsync(PopulationEvolveRequest request, CancellationToken ct)
    {
        if (request.PopulationIds is not { Length: > 0 } ids || ids.Any(string.IsNullOrWhiteSpace)) return new PopulationResult.Invalid("population_ids", "population_ids must list at least one agent id");
        if (ids.Length > 1000) return new PopulationResult.Invalid("population_ids", "at most 1000 agents");
        if (request.Generation is not >= 0) return new PopulationResult.Invalid("generation", "generation is required and must not be negative");
        if (request.CycleId is { Length: 0 or > 100 }) return new PopulationResult.Invalid("cycle_id", "cycle_id must be 1 to 100 characters");
        var rules = request.CaRules ?? [.. CaRules.Supported];
        if (rules.Where(r => !CaRules.IsSupported(r)).ToList() is { Count: > 0 } bad)
            return new PopulationResult.Invalid("ca_rules", $"rule {bad[0]} is not supported; use {string.Join(", ", CaRules.Supported)}");
        if (request.DiversityThreshold is { } t && (double.IsNaN(t) || t < 0 || t > 1)) return new PopulationResult.Invalid("diversity_threshold", "diversity_threshold must be within [0, 1]");
        if (request.PopulationSize is < 1 or > 1000) return new PopulationResult.Invalid("population_size", "population_size must be from 1 to 1000");
        var distinct = ids.Distinct(StringComparer.Ordinal).ToList();
        var population = await agents.FindManyAsync(distinct, ct);
        var missing = distinct.Except(population.Select(a => a.Id)).ToList();
        if (missing.Count > 0) return new PopulationResult.Invalid("population_ids", $"unknown agents: {string.Join(", ", missing)}");

        var generation = request.Generation.Value;
        var key = request.CycleId is { } cycle ? $"cycle:{cycle}:{generation}" : $"agents:{string.Join(',', distinct.Order(StringComparer.Ordinal))}:{generation}";
        await _gate.WaitAsync(ct);
        try
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            var stored = await connection.QuerySingleOrDefaultAsync<(long Id, string? Result)>(
                "SELECT id, result::text FROM population_steps WHERE step_key = @key", new { key });
            if (stored.Result is { } previous)
                return new PopulationResult.Done(JsonSerializer.Deserialize<PopulationEvolveResponse>(previous, Json)! with { Replayed = true });
            // A record without a result is a step that crashed part-way: it runs again (agents it already spawned stay).
            var stepId = stored.Id != 0 ? stored.Id : await connection.ExecuteScalarAsync<long>("""
                INSERT INTO population_steps (step_key, cycle_id, generation, request) VALUES (@key, @CycleId, @generation, @request::jsonb) RETURNING id
                """, new { key, request.CycleId, generation, request = JsonSerializer.Serialize(request, Json) });

            var response = await RunAsync(stepId, request, generation, rules, population, key, ct);
            await connection.ExecuteAsync("UPDATE population_steps SET result = @result::json, finished_at = now() WHERE id = @stepId",
                new { stepId, result = JsonSerializer.Serialize(response, Json) });
            return new PopulationResult.Done(response);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<PopulationEvolveResponse> RunAsync(long stepId, PopulationEvolveRequest request, int generation, IReadOnlyList<int> rules,
        IReadOnlyList<Agent> requested, string key, CancellationToken ct)
    {
        var cycleId = request.CycleId;
        var constraints = await economy.GetConstraintsAsync(ct);
        var threshold = request.DiversityThreshold ?? constraints.MinDiversity;
        var operators = new GeneticOperators(MutationRateRange.Of(constraints));
        var (minSize, maxSize) = (constraints.PopulationSizeRange[0], constraints.PopulationSizeRange[1]);
        var random = new Random(EvolutionStep.StableSeed(key, 0));

        // The ring: active agents in creation order.
        var ring = requested.Where(a => a.Status == AgentStatus.Active).OrderBy(a => a.CreatedAt).ThenBy(a => a.Id, StringComparer.Ordinal).ToList();
        var accepted = await AcceptedAsync(ring.Select(a => a.Id).ToArray(), cycleId, generation, ct);
        var diversityBefore = diversity.Measure(await diversity.MembersAsync(ring, ct), threshold).Diversity;

        var limits = request.PopulationSize is { } size
            ? PopulationLimits.For(size, request.ExplicitPopulation == true, minSize, maxSize)
            : new PopulationLimits(Math.Min(minSize, maxSize), maxSize);
        var plan = new PopulationRuleEngine(operators, limits).Plan(
            ring.Select(a => new RingAgent(a.Id, accepted.ContainsKey(a.Id), a.Fitness ?? double.NegativeInfinity, a.TokenEfficiency, a.Genome,
                accepted.TryGetValue(a.Id, out var c) ? c.ToString(System.Globalization.CultureInfo.InvariantCulture) : null, a.StepsSinceAccept)).ToList(),
            rules, random);
        foreach (var (rule, count) in plan.CaRulesFired) metrics.RuleFired(rule, count);
        var skipped = plan.Skipped.Select(s => new SkippedDone(s.Rule, s.AgentId, s.Reason)).ToList();
        var byId = ring.ToDictionary(a => a.Id);

        // Genome updates of existing agents (forks keep one genome, crossovers breed one).
        foreach (var (id, genome) in plan.GenomeUpdates)
        {
            using var _ = await locks.AcquireAsync(id, ct);
            await agents.SetGenomeAsync(id, genome, ct);
        }

        // Pattern discovery for rule 90 (the accepted candidates of this generation).
        var abstracted = plan.Abstractions.Where(a => a.CandidateId is not null).Select(a => long.Parse(a.CandidateId!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var discovered = new List<DiscoveredPattern>();
        if (abstracted.Count > 0)
        {
            var outcome = await patterns.DiscoverAsync(abstracted, ct);
            discovered.AddRange(outcome.Discovered.Select(p => Describe(p, true, abstracted)));
            discovered.AddRange(outcome.Reused.Select(p => Describe(p, false, abstracted)));
        }

        // Retirements first: they free budget for the children.
        var retired = new List<RetiredAgent>();
        foreach (var (agentId, reason) in plan.Retirements.Select(r => (r.AgentId, r.Reason)).Concat(plan.Evictions.Select(e => (e.AgentId, e.Reason))))
            if (await agentService.RetireAsync(agentId, $"population step: {reason}", ct) is RetireResult.Retired r)
                retired.Add(new RetiredAgent(agentId, reason, r.TokensReturned));

        var spawned = new List<SpawnedAgent>();
        foreach (var spawn in plan.Spawns)
        {
            var parent = byId[spawn.ParentId];
            var child = await SpawnChildAsync(parent, spawn.ChildGenome, cycleId, constraints, ct);
            if (child is SpawnResult.Created created)
                spawned.Add(new SpawnedAgent(created.Agent.Id, parent.Id, spawn.FiredAt, spawn.Refill, created.Agent.Generation, created.Agent.Level, created.Agent.BaseCommit, created.Agent.Genome));
            else
                skipped.Add(new SkippedDone(spawn.Refill ? 0 : CaRules.CreateImprovedNeighbour, spawn.FiredAt, Refusal(child)));
        }
        var forked = new List<ForkedAgent>();
        foreach (var fork in plan.Forks)
        {
            var parent = byId[fork.AgentId];
            var child = await SpawnChildAsync(parent, fork.ForkGenome, cycleId, constraints, ct);
            if (child is SpawnResult.Created created)
                forked.Add(new ForkedAgent(created.Agent.Id, parent.Id, created.Agent.Generation, created.Agent.BaseCommit, created.Agent.Genome, fork.AgentGenome));
            else
                skipped.Add(new SkippedDone(CaRules.Fork, fork.AgentId, Refusal(child)));
        }

        var stagnation = await AnswerStagnationAsync(stepId, plan.Stagnation, byId, diversityBefore, ct);

        // Diversity defence on the population after the rules.
        var after = (await agents.FindManyAsync([.. ring.Select(a => a.Id), .. spawned.Select(s => s.AgentId), .. forked.Select(f => f.AgentId)], ct))
            .Where(a => a.Status == AgentStatus.Active).OrderBy(a => a.CreatedAt).ThenBy(a => a.Id, StringComparer.Ordinal).ToList();
        var members = await diversity.MembersAsync(after, ct);
        var (catalogue, _) = await patterns.ListAsync(null, null, options.Value.DefencePatternOffers, includeArchived: false, ct);
        var defence = new DiversityDefence(operators).Defend(members, threshold,
            catalogue.Select(p => new PatternOffer(p.Pattern.Id, p.Pattern.DiscoveredBy)).ToList(), random);
        await diversity.RecordAsync(stepId, defence, ct);
        metrics.Diversity(defence.After.Diversity);

        logger.LogInformation("Population step {Key}: fired {Fired}; {Spawned} spawned, {Forked} forked, {Retired} retired, {Crossovers} crossovers, diversity {Before:F3} -> {After:F3}, {Interventions} interventions",
            key, string.Join(", ", plan.CaRulesFired.Select(f => $"{f.Key}:{f.Value}")), spawned.Count, forked.Count, retired.Count, plan.Crossovers.Count,
            diversityBefore, defence.After.Diversity, defence.Interventions.Count);

        return new PopulationEvolveResponse(cycleId, generation,
            plan.CaRulesFired.ToDictionary(f => f.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), f => f.Value),
            spawned, forked, retired, plan.Crossovers.Select(x => new CrossoverDone(x.AgentId, x.PartnerId, x.SelfWeight, x.Genome)).ToList(),
            diversityBefore, defence.After.Diversity,
            stagnation.Concat(defence.Interventions).Select(i => new StepIntervention(i.Kind, i.AgentId, i.Strength, i.Reason, i.RelatedAgentId, i.PatternId)).ToList(),
            discovered, skipped, after.Select(a => a.Id).ToList(), false);
    }

    /// <summary>
    /// The stagnant agents explore: a new genome each (and a fresh count of steps since an accepted candidate); a restart
    /// also moves the agent's worktree to the best agent's commit and takes its fitness. Recorded as interventions.
    /// </summary>
    private async Task<List<DiversityIntervention>> AnswerStagnationAsync(long stepId, IReadOnlyList<StagnationAction> answers, IReadOnlyDictionary<string, Agent> byId,
        double diversityNow, CancellationToken ct)
    {
        var done = new List<DiversityIntervention>();
        foreach (var answer in answers)
        {
            using var _ = await locks.AcquireAsync(answer.AgentId, ct);
            var agent = await agents.FindAsync(answer.AgentId, ct);
            if (agent is not { Status: AgentStatus.Active }) continue;
            if (answer.Kind == StagnationAnswer.Restart && answer.PartnerId is { } bestId && byId.TryGetValue(bestId, out var best))
            {
                await Workspace.GitCli.RunAsync(agent.WorktreePath, ["reset", "--hard", "--quiet", best.HeadCommit], ct);
                await agents.ReviveAsync(agent.Id, answer.Genome, best.HeadCommit, best.Fitness, ct, best.CurrentFeedback);
            }
            else
            {
                await agents.ReviveAsync(agent.Id, answer.Genome, null, null, ct);
            }
            done.Add(new DiversityIntervention(answer.Kind, agent.Id, answer.Genome.StepScale, answer.Reason, agent.Genome, answer.Genome, answer.PartnerId));
        }
        await diversity.RecordInterventionsAsync(stepId, done, diversityNow, diversityNow, ct);
        return done;
    }

    private static DiscoveredPattern Describe(StoredPattern p, bool isNew, List<long> candidates) =>
        new(p.Pattern.Id, p.Pattern.Type, p.Pattern.UsageCount, isNew,
            p.SourceCandidateIds.Where(candidates.Contains).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).LastOrDefault());

    /// <summary>A child of <paramref name="parent"/>: its commit, the parent's budget (at most max_tokens_per_agent) from the cycle's pool.</summary>
    private async Task<SpawnResult> SpawnChildAsync(Agent parent, Genome genome, string? cycleId, EvolutionConstraints constraints, CancellationToken ct)
    {
        var budget = Math.Max(1, Math.Min(parent.TokenBudget, constraints.MaxTokensPerAgent));
        try
        {
            return await agentService.SpawnAsync(new SpawnRequest(parent.Goal, parent.Target, budget, genome, null, [parent.Id], cycleId ?? parent.CycleId, null, parent.Level), ct);
        }
        catch (EconomyRefusedException ex)
        {
            return new SpawnResult.BudgetExceeded(ex.Message);
        }
    }

    private static string Refusal(SpawnResult result) => result switch
    {
        SpawnResult.BudgetExceeded b => $"budget refused: {b.Detail}",
        SpawnResult.Invalid i => $"spawn refused: {string.Join("; ", i.Errors.Select(e => $"{e.Key}: {string.Join(' ', e.Value)}"))}",
        _ => "not spawned",
    };

    /// <summary>The last accepted candidate of each agent in this cycle and generation.</summary>
    private async Task<Dictionary<string, long>> AcceptedAsync(string[] ids, string? cycleId, int generation, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string AgentId, long Id)>("""
            SELECT agent_id, max(id) FROM candidates
            WHERE agent_id = ANY(@ids) AND accepted AND generation = @generation AND cycle_id IS NOT DISTINCT FROM @cycleId
            GROUP BY agent_id
            """, new { ids, generation, cycleId });
        return rows.ToDictionary(r => r.AgentId, r => r.Id);
    }
}
