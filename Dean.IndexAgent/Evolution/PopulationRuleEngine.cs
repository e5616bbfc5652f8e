using Dean.IndexAgent.Agents;
namespace Dean.IndexAgent.Evolution;

/// <summary>One agent on the ring, as the population step sees it after a generation.</summary>
/// <param name="Id">Agent id.</param>
/// <param name="Improved">Whether the agent had a candidate accepted in this generation (cell state 1).</param>
/// <param name="Fitness">The agent's current fitness.</param>
/// <param name="TokenEfficiency">The agent's token efficiency (EMA of fitness gain per 1,000 tokens).</param>
/// <param name="Genome">The agent's genome.</param>
/// <param name="AcceptedCandidateId">The candidate accepted in this generation, if any (what rule 90 abstracts).</param>
/// <param name="StepsSinceAccept">Steps (one per generation in a cycle) since the agent's last accepted candidate.</param>
public sealed record RingAgent(
    string Id,
    bool Improved,
    double Fitness,
    double TokenEfficiency,
    Genome Genome,
    string? AcceptedCandidateId = null,
    int StepsSinceAccept = 0);

/// <summary>The size a population is held within (DESIGN section 5).</summary>
/// <param name="MinPopulation">The lower bound: retirements below it are replaced by children of tournament winners.</param>
/// <param name="MaxPopulation">The upper bound: spawns and forks beyond it evict the least fit (never the elite).</param>
/// <param name="MaxRetireFraction">At most this fraction of the population (rounded down) retires by rule 1 per generation.</param>
public sealed record PopulationLimits(int MinPopulation = 3, int MaxPopulation = 50, double MaxRetireFraction = CaRules.MaxRetireFraction)
{
    /// <summary>
    /// The bounds of a cycle of <paramref name="size"/> agents: [max(size, min), min(2 × size, max)] with min/max of the
    /// constraint <c>population_size_range</c>; an explicit list smaller than min keeps [n, 2n].
    /// </summary>
    public static PopulationLimits For(int size, bool explicitList, int rangeMin, int rangeMax)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (explicitList && size < rangeMin) return new PopulationLimits(size, 2 * size);
        var upper = Math.Max(1, Math.Min(2 * size, rangeMax));
        return new PopulationLimits(Math.Min(Math.Max(size, rangeMin), upper), upper);
    }

    public int MinPopulation { get; } = MinPopulation >= 0 && MinPopulation <= MaxPopulation
        ? MinPopulation
        : throw new ArgumentOutOfRangeException(nameof(MinPopulation), MinPopulation, "The minimum population is between 0 and the maximum.");

    public double MaxRetireFraction { get; } = MaxRetireFraction is >= 0.0 and <= 1.0
        ? MaxRetireFraction
        : throw new ArgumentOutOfRangeException(nameof(MaxRetireFraction), MaxRetireFraction, "A fraction is in [0,1].");

    public static PopulationLimits Default { get; } = new();
}

/// <summary>
/// Spawn a mutated child of <see cref="ParentId"/>: by rule 110 (the parent is the fittest of the neighbourhood of the
/// cell <see cref="FiredAt"/>), or, when <see cref="Refill"/>, to bring a population below its minimum back up (the
/// parent won a tournament; <see cref="FiredAt"/> is the parent).
/// </summary>
public sealed record SpawnAction(string FiredAt, string ParentId, Genome ChildGenome, bool Refill = false);

/// <summary>Rule 30: the agent keeps <see cref="AgentGenome"/> and a new agent with <see cref="ForkGenome"/> starts from its commit.</summary>
public sealed record ForkAction(string AgentId, Genome AgentGenome, Genome ForkGenome);

/// <summary>Rule 90: turn the agent's accepted change of this generation into a pattern.</summary>
public sealed record AbstractAction(string AgentId, string? CandidateId);

/// <summary>Rule 184: the agent's genome becomes a crossover with its fitter ring neighbour.</summary>
/// <param name="SelfWeight">Probability of inheriting each gene from the agent itself (its share of the pair's token efficiency).</param>
public sealed record CrossoverAction(string AgentId, string PartnerId, double SelfWeight, Genome Genome);

/// <summary>Rule 1: retire the agent (its unused tokens return to the pool).</summary>
public sealed record RetireAction(string AgentId, string Reason);

/// <summary>A firing whose action the limits or the situation prevented, so it can be reported.</summary>
public sealed record SkippedAction(int Rule, string AgentId, string Reason);

/// <summary>An agent retired because spawns and forks took the population above its upper bound (the least fit go).</summary>
public sealed record EvictAction(string AgentId, string Reason);

/// <summary>How a stagnant agent explores (DESIGN section 5).</summary>
public static class StagnationAnswer
{
    /// <summary>Its perturbation spread doubles.</summary>
    public const string Widen = "stagnation_widen";

    /// <summary>Its genome crosses with an agent of another lineage, and crossover weighs more for its next edits.</summary>
    public const string Crossover = "stagnation_crossover";

    /// <summary>It starts again from the population's best commit (and fitness), with a new genome.</summary>
    public const string Restart = "stagnation_restart";
}

/// <summary>The answer to a stagnant agent: <see cref="Kind"/> is a <see cref="StagnationAnswer"/>; <see cref="PartnerId"/> the other agent involved.</summary>
public sealed record StagnationAction(string AgentId, string Kind, string? PartnerId, Genome Genome, string Reason);

/// <summary>
/// What the population step should do. The service executes it: worktrees and allocations for spawns and forks,
/// genome updates (<see cref="GenomeUpdates"/>), pattern discovery for abstractions, retirements.
/// </summary>
public sealed record PopulationPlan(
    IReadOnlyList<SpawnAction> Spawns,
    IReadOnlyList<ForkAction> Forks,
    IReadOnlyList<AbstractAction> Abstractions,
    IReadOnlyList<CrossoverAction> Crossovers,
    IReadOnlyList<RetireAction> Retirements,
    IReadOnlyList<SkippedAction> Skipped,
    IReadOnlyDictionary<int, int> CaRulesFired,
    IReadOnlyList<EvictAction>? Evictions = null,
    IReadOnlyList<StagnationAction>? Stagnation = null,
    IReadOnlyDictionary<string, Genome>? Shared = null)
{
    /// <summary>Survivors' genomes with their strategy weights moved toward the population's (<see cref="SearchAdaptation.Share"/>).</summary>
    public IReadOnlyDictionary<string, Genome> Shared { get; } = Shared ?? new Dictionary<string, Genome>();

    public IReadOnlyList<EvictAction> Evictions { get; } = Evictions ?? [];

    public IReadOnlyList<StagnationAction> Stagnation { get; } = Stagnation ?? [];

    /// <summary>The population's size once the plan is carried out.</summary>
    public int SizeAfter(int ringSize) => ringSize - Retirements.Count - Evictions.Count + Spawns.Count + Forks.Count;

    /// <summary>The final genome of each existing agent whose genome the plan changes (forks, then crossovers, then shared learning; stagnation answers come after).</summary>
    public IReadOnlyDictionary<string, Genome> GenomeUpdates
    {
        get
        {
            var updates = new Dictionary<string, Genome>(StringComparer.Ordinal);
            foreach (var fork in Forks)
                updates[fork.AgentId] = fork.AgentGenome;
            foreach (var crossover in Crossovers)
                updates[crossover.AgentId] = crossover.Genome;
            foreach (var (id, genome) in Shared)
                updates[id] = genome;
            return updates;
        }
    }
}

/// <summary>
/// The cellular-automata step of DESIGN section 5. Agents stand on a ring in creation order; cell i is 1 when agent i
/// improved in this generation. For every enabled rule the action fires at i when the rule maps
/// (s_{i−1}, s_i, s_{i+1}) to 1. All rules read the same (pre-step) states, like one synchronous CA step.
/// <see cref="PopulationPlan.CaRulesFired"/> counts every cell where a rule mapped to 1, including firings whose action
/// was then skipped (listed in <see cref="PopulationPlan.Skipped"/>).
/// </summary>
public sealed class PopulationRuleEngine(GeneticOperators operators, PopulationLimits limits)
{
    public PopulationRuleEngine() : this(new GeneticOperators(), PopulationLimits.Default)
    {
    }

    /// <summary>Plan the population step for <paramref name="ring"/> (creation order) under the enabled rules.</summary>
    public PopulationPlan Plan(IReadOnlyList<RingAgent> ring, IEnumerable<int> enabledRules, Random random)
    {
        var enabled = enabledRules.Distinct().ToHashSet();
        foreach (var rule in enabled)
        {
            if (!CaRules.IsSupported(rule))
                throw new ArgumentException($"Rule {rule} is not supported; use {string.Join(", ", CaRules.Supported)}.", nameof(enabledRules));
        }
        if (ring.Select(a => a.Id).Distinct(StringComparer.Ordinal).Count() != ring.Count)
            throw new ArgumentException("Agent ids on the ring must be distinct.", nameof(ring));

        var fired = new Dictionary<int, int>();
        var states = ring.Select(a => a.Improved).ToArray();
        var firing = CaRules.Supported.Where(enabled.Contains).ToDictionary(
            rule => rule,
            rule => Enumerable.Range(0, ring.Count).Where(i => FiresAt(rule, states, i)).ToArray());
        foreach (var (rule, cells) in firing)
            fired[rule] = cells.Length;

        var skipped = new List<SkippedAction>();

        // Growth requests (110 and 30) are collected first and capped after retirements are known.
        var spawnRequests = new List<(SpawnAction Action, double ParentFitness, int Cell)>();
        foreach (var i in firing.GetValueOrDefault(CaRules.CreateImprovedNeighbour, []))
        {
            var parent = FittestOfNeighbourhood(ring, i);
            spawnRequests.Add((new SpawnAction(ring[i].Id, parent.Id, operators.Mutate(parent.Genome, random)), parent.Fitness, i));
        }

        var forkRequests = new List<(ForkAction Action, double Fitness, int Cell)>();
        foreach (var i in firing.GetValueOrDefault(CaRules.Fork, []))
        {
            var (first, second) = operators.Diversify(ring[i].Genome, random);
            forkRequests.Add((new ForkAction(ring[i].Id, first, second), ring[i].Fitness, i));
        }

        var abstractions = new List<AbstractAction>();
        foreach (var i in firing.GetValueOrDefault(CaRules.Abstract, []))
        {
            // Rule 90 also fires on cells that did not improve; they have no accepted change to abstract.
            if (ring[i].Improved)
                abstractions.Add(new AbstractAction(ring[i].Id, ring[i].AcceptedCandidateId));
            else
                skipped.Add(new SkippedAction(CaRules.Abstract, ring[i].Id, "no accepted change in this generation"));
        }

        // Rule 184 partners are chosen now (they are protected from retirement); the genomes are bred once the forks are final.
        var crossoverPairs = new List<(int Cell, RingAgent Partner, double SelfWeight)>();
        foreach (var i in firing.GetValueOrDefault(CaRules.LearnFromBetterNeighbour, []))
        {
            if (ring.Count < 2)
            {
                skipped.Add(new SkippedAction(CaRules.LearnFromBetterNeighbour, ring[i].Id, "no neighbour"));
                continue;
            }
            var (left, right) = ElementaryCellularAutomaton.RingNeighbours(ring, i);
            var partner = right.Fitness > left.Fitness ? right : left;
            crossoverPairs.Add((i, partner, EfficiencyWeight(ring[i].TokenEfficiency, partner.TokenEfficiency)));
        }

        // Agents that parent or teach in this step are not retired by it, nor are the elite.
        var protectedIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var spawn in spawnRequests) protectedIds.Add(spawn.Action.ParentId);
        foreach (var fork in forkRequests) protectedIds.Add(fork.Action.AgentId);
        foreach (var pair in crossoverPairs) protectedIds.Add(pair.Partner.Id);
        foreach (var elite in GeneticOperators.EliteIndices(ring.Select(a => a.Fitness).ToArray()))
            protectedIds.Add(ring[elite].Id);

        var eliteIds = GeneticOperators.EliteIndices(ring.Select(a => a.Fitness).ToArray()).Select(i => ring[i].Id).ToHashSet(StringComparer.Ordinal);
        var position = ring.Select((a, i) => (a.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
        var retirements = new List<RetireAction>();
        var maxRetirements = (int)Math.Floor(ring.Count * limits.MaxRetireFraction + 1e-9);
        var retireCandidates = firing.GetValueOrDefault(CaRules.Cleanup, [])
            .OrderBy(i => ring[i].Fitness).ThenBy(i => ring[i].TokenEfficiency).ThenBy(i => i);
        foreach (var i in retireCandidates)
        {
            var agent = ring[i];
            if (protectedIds.Contains(agent.Id))
                skipped.Add(new SkippedAction(CaRules.Cleanup, agent.Id, "protected: elite or parent in this step"));
            else if (retirements.Count >= maxRetirements)
                skipped.Add(new SkippedAction(CaRules.Cleanup, agent.Id, $"retirement limit reached (at most {limits.MaxRetireFraction:P0} per generation)"));
            else
                retirements.Add(new RetireAction(agent.Id, "stagnant: no improvement by the agent or its neighbours (rule 1)"));
        }
        var retiredIds = retirements.Select(r => r.AgentId).ToHashSet(StringComparer.Ordinal);
        var survivors = ring.Where(a => !retiredIds.Contains(a.Id)).ToList();

        // Growth beyond the upper bound evicts the least fit survivors (never the elite, nor this step's parents);
        // what cannot make room that way is skipped, the least fit parents' requests first.
        var growth = spawnRequests.Select(s => (Rule: CaRules.CreateImprovedNeighbour, Fitness: s.ParentFitness, s.Cell, Item: (object)s.Action))
            .Concat(forkRequests.Select(f => (Rule: CaRules.Fork, f.Fitness, f.Cell, Item: (object)f.Action)))
            .OrderByDescending(g => g.Fitness).ThenBy(g => g.Cell).ThenBy(g => g.Rule).ToList();
        var evictable = new Queue<RingAgent>(survivors.Where(a => !eliteIds.Contains(a.Id) && !protectedIds.Contains(a.Id))
            .OrderBy(a => a.Fitness).ThenBy(a => a.TokenEfficiency).ThenBy(a => position[a.Id]));
        var evictions = new List<EvictAction>();
        while (survivors.Count - evictions.Count > limits.MaxPopulation && evictable.Count > 0)
            evictions.Add(new EvictAction(evictable.Dequeue().Id, $"evicted: least fit while the population is above its upper bound of {limits.MaxPopulation}"));
        var spawns = new List<SpawnAction>();
        var forks = new List<ForkAction>();
        foreach (var request in growth)
        {
            var at = request.Item is SpawnAction s ? s.FiredAt : ((ForkAction)request.Item).AgentId;
            if (survivors.Count - evictions.Count + spawns.Count + forks.Count >= limits.MaxPopulation)
            {
                // Only a child fitter than the least fit survivor is worth an eviction.
                if (evictable.Count == 0 || evictable.Peek().Fitness > request.Fitness)
                {
                    skipped.Add(new SkippedAction(request.Rule, at, $"population at its upper bound of {limits.MaxPopulation}"));
                    continue;
                }
                evictions.Add(new EvictAction(evictable.Dequeue().Id, $"evicted: least fit when the population exceeded its upper bound of {limits.MaxPopulation}"));
            }
            if (request.Item is SpawnAction spawn) spawns.Add(spawn);
            else forks.Add((ForkAction)request.Item);
        }
        var evictedIds = evictions.Select(e => e.AgentId).ToHashSet(StringComparer.Ordinal);
        survivors.RemoveAll(a => evictedIds.Contains(a.Id));

        // Below the lower bound (after rule 1, or agents that left by budget exhaustion), tournament winners among the
        // survivors get mutated children until the population is back at its lower bound.
        var size = survivors.Count + spawns.Count + forks.Count;
        var survivorFitness = survivors.Select(a => a.Fitness).ToArray();
        for (; size < limits.MinPopulation && size < limits.MaxPopulation && survivors.Count > 0; size++)
        {
            var parent = survivors[GeneticOperators.TournamentSelect(survivorFitness, random)];
            spawns.Add(new SpawnAction(parent.Id, parent.Id, operators.Mutate(parent.Genome, random), Refill: true));
        }

        var crossovers = new List<CrossoverAction>();
        foreach (var (cell, partner, selfWeight) in crossoverPairs)
        {
            // A forked agent crosses over with the genome it keeps after the fork.
            var own = forks.FirstOrDefault(f => f.AgentId == ring[cell].Id)?.AgentGenome ?? ring[cell].Genome;
            crossovers.Add(new CrossoverAction(ring[cell].Id, partner.Id, selfWeight, operators.Crossover(own, partner.Genome, random, selfWeight)));
        }

        // What the population learned of the target reaches every survivor; stagnation answers start from those genomes.
        var pooled = SearchAdaptation.Pool(ring.Select(a => a.Genome).ToList());
        var shared = new Dictionary<string, Genome>(StringComparer.Ordinal);
        foreach (var agent in survivors)
        {
            var current = crossovers.LastOrDefault(c => c.AgentId == agent.Id)?.Genome ?? forks.FirstOrDefault(f => f.AgentId == agent.Id)?.AgentGenome ?? agent.Genome;
            shared[agent.Id] = SearchAdaptation.Share(current, pooled);
        }
        var stagnation = PlanStagnation(ring, position, survivors.Select(a => a with { Genome = shared[a.Id] }).ToList(), random);
        return new PopulationPlan(spawns, forks, abstractions, crossovers, retirements, skipped, fired, evictions, stagnation, shared);
    }

    /// <summary>How often a stagnant agent below the best restarts from it (otherwise it crosses with another lineage).</summary>
    public const double RestartShare = 0.75;

    /// <summary>Generations without an accepted candidate after which an agent is stagnant.</summary>
    public const int StagnantAfter = 3;

    /// <summary>
    /// Exploration for every stagnant survivor: the population's best widens its spread (there is nowhere better to
    /// restart from); an agent below the best restarts from it (<see cref="RestartShare"/>) or crosses with an agent
    /// outside its ring neighbourhood; one as fit as the best crosses, or widens when there is no other lineage.
    /// </summary>
    private List<StagnationAction> PlanStagnation(IReadOnlyList<RingAgent> ring, IReadOnlyDictionary<string, int> position, IReadOnlyList<RingAgent> survivors, Random random)
    {
        var answers = new List<StagnationAction>();
        if (survivors.Count == 0) return answers;
        var best = survivors.OrderByDescending(a => a.Fitness).ThenBy(a => position[a.Id]).First();
        foreach (var agent in survivors.Where(a => a.StepsSinceAccept >= StagnantAfter))
        {
            var why = $"stagnant: {agent.StepsSinceAccept} steps without an accepted candidate";
            var roll = random.NextDouble();
            if (agent.Id != best.Id && best.Fitness > agent.Fitness && roll < RestartShare)
            {
                // A new genome that keeps what was learned of the target: the best's strategy weights and spread.
                var fresh = operators.Mutate(best.Genome, Math.Max(0.2, best.Genome.MutationRate), random);
                answers.Add(new StagnationAction(agent.Id, StagnationAnswer.Restart, best.Id, fresh, why));
                continue;
            }
            var (left, right) = ElementaryCellularAutomaton.RingNeighbours(ring, position[agent.Id]);
            var outsiders = survivors.Where(a => a.Id != agent.Id && a.Id != left.Id && a.Id != right.Id).ToArray();
            if (agent.Id != best.Id && outsiders.Length > 0)
            {
                var partner = outsiders[GeneticOperators.TournamentSelect(outsiders.Select(a => a.Fitness).ToArray(), random)];
                var crossed = operators.Crossover(agent.Genome, partner.Genome, random);
                var withCrossover = crossed.WithStrategies(crossed.Strategies.Append(Genome.Crossover));
                var boosted = new Dictionary<string, double>(withCrossover.StrategyWeights ?? new Dictionary<string, double>(), StringComparer.Ordinal)
                {
                    [Genome.Crossover] = Math.Clamp(withCrossover.WeightOf(Genome.Crossover) * 2, Genome.MinStrategyWeight, Genome.MaxStrategyWeight),
                };
                answers.Add(new StagnationAction(agent.Id, StagnationAnswer.Crossover, partner.Id, withCrossover with { StrategyWeights = boosted }, why));
                continue;
            }
            answers.Add(new StagnationAction(agent.Id, StagnationAnswer.Widen, null, SearchAdaptation.Widen(agent.Genome), why));
        }
        return answers;
    }

    /// <summary>Whether <paramref name="rule"/> maps cell <paramref name="index"/>'s ring neighbourhood to 1.</summary>
    public static bool FiresAt(int rule, IReadOnlyList<bool> states, int index)
    {
        var (left, right) = ElementaryCellularAutomaton.RingNeighbours(states, index);
        return ElementaryCellularAutomaton.Next(rule, left, states[index], right);
    }

    /// <summary>The fittest of i−1, i, i+1; ties go to i, then the left neighbour.</summary>
    public static RingAgent FittestOfNeighbourhood(IReadOnlyList<RingAgent> ring, int index)
    {
        var (left, right) = ElementaryCellularAutomaton.RingNeighbours(ring, index);
        var best = ring[index];
        if (left.Fitness > best.Fitness) best = left;
        if (right.Fitness > best.Fitness) best = right;
        return best;
    }

    /// <summary>The agent's share of the pair's (non-negative) token efficiency; an even split when neither has any.</summary>
    public static double EfficiencyWeight(double selfEfficiency, double partnerEfficiency)
    {
        var self = Math.Max(0.0, double.IsFinite(selfEfficiency) ? selfEfficiency : 0.0);
        var partner = Math.Max(0.0, double.IsFinite(partnerEfficiency) ? partnerEfficiency : 0.0);
        return self + partner > 0.0 ? self / (self + partner) : 0.5;
    }
}
