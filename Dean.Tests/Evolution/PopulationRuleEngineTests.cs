using Dean.Contracts.Evolution;
using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evolution;
using FsCheck.Xunit;

namespace Dean.Tests.Evolution;

public sealed class PopulationRuleEngineTests
{
    private static readonly Genome BaseGenome =
        new(new Traits(0.5, 0.5, 0.5, 0.5), [Genome.TuneConstants, Genome.Reorder, Genome.Simplify], 0.1);

    private static RingAgent Agent(int number, bool improved, double fitness, double efficiency = 0.0, Genome? genome = null) =>
        new($"agent_{number:D3}", improved, fitness, efficiency, genome ?? BaseGenome, improved ? $"cand_{number}" : null);

    private static PopulationRuleEngine Engine(int min = 3, int max = 50) => new(new GeneticOperators(), new PopulationLimits(min, max));

    [Fact]
    public void Rule_110_spawns_from_the_fittest_of_the_neighbourhood()
    {
        // Cell states 0 0 1 0 0 0 (only agent_003 improved).
        RingAgent[] ring =
        [
            Agent(1, false, 0.1), Agent(2, false, 0.2), Agent(3, true, 0.3), Agent(4, false, 0.9), Agent(5, false, 0.05), Agent(6, false, 0.15),
        ];

        var plan = Engine().Plan(ring, [110], new Random(1));

        // Rule 110 fires at agent_002 (001) and agent_003 (010); it does not fire at agent_004 (100).
        Assert.Equal(2, plan.CaRulesFired[110]);
        Assert.Equal(2, plan.Spawns.Count);
        var fromSecond = Assert.Single(plan.Spawns, s => s.FiredAt == "agent_002");
        Assert.Equal("agent_003", fromSecond.ParentId); // fittest of agent_001 (0.1), agent_002 (0.2), agent_003 (0.3)
        var fromThird = Assert.Single(plan.Spawns, s => s.FiredAt == "agent_003");
        Assert.Equal("agent_004", fromThird.ParentId); // fittest of agent_002, agent_003, agent_004 (0.9)
        Assert.All(plan.Spawns, s => Assert.False(BaseGenome.SameAs(s.ChildGenome)));
        Assert.Empty(plan.Retirements);
    }

    [Fact]
    public void Rule_1_retires_only_agents_stagnant_with_both_neighbours()
    {
        RingAgent[] ring =
        [
            Agent(1, true, 0.9), Agent(2, false, 0.2), Agent(3, false, 0.1), Agent(4, false, 0.3),
            Agent(5, false, 0.4), Agent(6, false, 0.5), Agent(7, false, 0.6), Agent(8, false, 0.7), Agent(9, false, 0.8), Agent(10, false, 0.85),
        ];

        var plan = Engine().Plan(ring, [1], new Random(1));

        // 000 at agents 3..9: seven firings; 30% of ten is three, least fit first.
        Assert.Equal(7, plan.CaRulesFired[1]);
        Assert.Equal(new[] { "agent_003", "agent_004", "agent_005" }, plan.Retirements.Select(r => r.AgentId));
        Assert.DoesNotContain(plan.Retirements, r => r.AgentId is "agent_002" or "agent_010");
        Assert.Equal(4, plan.Skipped.Count(s => s.Rule == 1));
    }

    [Fact]
    public void Retirements_below_the_lower_bound_are_replaced_by_children_of_tournament_winners()
    {
        var ring = Enumerable.Range(1, 10).Select(i => Agent(i, false, i / 10.0)).ToArray();

        var plan = Engine(min: 9, max: 12).Plan(ring, [1], new Random(1));

        Assert.Equal(3, plan.Retirements.Count); // 30% of ten, least fit first
        Assert.Equal(new[] { "agent_001", "agent_002", "agent_003" }, plan.Retirements.Select(r => r.AgentId));
        Assert.Equal(2, plan.Spawns.Count(s => s.Refill));
        Assert.All(plan.Spawns, s => Assert.DoesNotContain(plan.Retirements, r => r.AgentId == s.ParentId));
        Assert.Equal(9, plan.SizeAfter(ring.Length));
    }

    [Theory]
    [InlineData(6, false, 3, 50, 6, 12)]
    [InlineData(2, false, 3, 50, 3, 4)]
    [InlineData(2, true, 3, 50, 2, 4)]
    [InlineData(40, false, 3, 50, 40, 50)]
    [InlineData(1, true, 3, 50, 1, 2)]
    public void Bounds_follow_the_size_and_the_range(int size, bool explicitList, int min, int max, int lower, int upper)
    {
        var limits = PopulationLimits.For(size, explicitList, min, max);

        Assert.Equal((lower, upper), (limits.MinPopulation, limits.MaxPopulation));
    }

    /// <summary>
    /// A cycle's population never leaves [max(size, min), min(2 × size, max)]: whatever the ring's states, fitness and
    /// stagnation, and also when agents left by budget exhaustion; rule 1 retires at most 30%, and the elite stay.
    /// </summary>
    [Property(MaxTest = 500)]
    public bool A_cycle_population_never_leaves_its_bounds(int seed)
    {
        var random = new Random(seed);
        var rangeMin = random.Next(1, 8);
        var rangeMax = rangeMin + random.Next(0, 30);
        var size = random.Next(1, 25);
        var explicitList = random.Next(2) == 0;
        var limits = PopulationLimits.For(size, explicitList, rangeMin, rangeMax);
        var engine = new PopulationRuleEngine(new GeneticOperators(), limits);

        // Generation after generation, as a cycle runs: the next ring is the plan's outcome.
        var ring = Enumerable.Range(1, random.Next(1, limits.MaxPopulation + 1))
            .Select(i => Agent(i, random.Next(3) == 0, random.NextDouble(), random.NextDouble(), GenomeGenerators.Any(random)) with { StepsSinceAccept = random.Next(6) })
            .ToList();
        var next = ring.Count + 1;
        for (var generation = 0; generation < 6; generation++)
        {
            var rules = CaRules.Supported.Where(_ => random.Next(3) > 0).ToArray();
            var plan = engine.Plan(ring, rules, random);
            var elite = GeneticOperators.EliteIndices(ring.Select(a => a.Fitness).ToArray()).Select(i => ring[i].Id).ToHashSet();
            var gone = plan.Retirements.Select(r => r.AgentId).Concat(plan.Evictions.Select(e => e.AgentId)).ToHashSet();
            if (plan.Retirements.Count > (int)Math.Floor(0.3 * ring.Count + 1e-9) || gone.Overlaps(elite)) return false;
            var size_after = plan.SizeAfter(ring.Count);
            if (size_after < limits.MinPopulation || size_after > limits.MaxPopulation) return false;

            var children = plan.Spawns.Select(s => (ring.First(a => a.Id == s.ParentId), s.ChildGenome))
                .Concat(plan.Forks.Select(f => (ring.First(a => a.Id == f.AgentId), f.ForkGenome)))
                .Select(c => c.Item1 with { Id = $"agent_{next++:D3}", Genome = c.Item2, StepsSinceAccept = 0 });
            ring = ring.Where(a => !gone.Contains(a.Id))
                .Select(a => a with { Improved = random.Next(3) == 0, Fitness = a.Fitness + random.NextDouble() * 0.1, StepsSinceAccept = a.StepsSinceAccept + 1 })
                .Concat(children.Select(c => c with { Improved = random.Next(3) == 0 }))
                .ToList();
            // Now and then an agent runs out of budget and leaves the ring before the next step.
            if (ring.Count > 1 && random.Next(4) == 0) ring.RemoveAt(random.Next(ring.Count));
        }
        return true;
    }

    [Property(MaxTest = 300)]
    public bool Every_planned_action_follows_its_rule_and_every_genome_stays_in_bounds(int seed)
    {
        var random = new Random(seed);
        var ring = Enumerable.Range(1, random.Next(1, 25))
            .Select(i => Agent(i, random.Next(3) == 0, random.NextDouble(), random.NextDouble(), GenomeGenerators.Any(random)))
            .ToArray();
        var index = ring.Select((a, i) => (a.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var states = ring.Select(a => a.Improved).ToArray();
        bool Fires(int rule, string id) => PopulationRuleEngine.FiresAt(rule, states, index[id]);

        var plan = Engine(min: 2, max: 40).Plan(ring, CaRules.Supported, random);

        var genomes = plan.Spawns.Select(s => s.ChildGenome)
            .Concat(plan.Forks.SelectMany(f => new[] { f.AgentGenome, f.ForkGenome }))
            .Concat(plan.Crossovers.Select(c => c.Genome));
        return plan.Spawns.Where(s => !s.Refill).All(s => Fires(110, s.FiredAt)
                && PopulationRuleEngine.FittestOfNeighbourhood(ring, index[s.FiredAt]).Id == s.ParentId)
            && plan.Forks.All(f => Fires(30, f.AgentId))
            && plan.Abstractions.All(a => Fires(90, a.AgentId) && ring[index[a.AgentId]].Improved)
            && plan.Crossovers.All(c => Fires(184, c.AgentId) && c.PartnerId != c.AgentId || ring.Length == 1)
            && plan.Retirements.All(r => Fires(1, r.AgentId))
            && plan.SizeAfter(ring.Length) <= 40
            && genomes.Concat(plan.Stagnation.Select(a => a.Genome)).All(g => g.IsWithinBounds(MutationRateRange.Default));
    }

    [Fact]
    public void Elite_and_parents_are_not_retired()
    {
        // Everyone stagnant but the fittest is elite: it is spared although rule 1 fires for it.
        var ring = Enumerable.Range(1, 10).Select(i => Agent(i, false, i == 5 ? 0.0 : 1.0 - i / 100.0)).ToArray();
        ring[4] = ring[4] with { Fitness = 2.0 };

        var plan = Engine().Plan(ring, [1], new Random(1));

        Assert.DoesNotContain(plan.Retirements, r => r.AgentId == "agent_005");
        Assert.Contains(plan.Skipped, s => s.AgentId == "agent_005" && s.Reason.StartsWith("protected", StringComparison.Ordinal));
    }

    [Fact]
    public void Rule_30_forks_into_two_diversified_branches()
    {
        RingAgent[] ring = [Agent(1, false, 0.1), Agent(2, true, 0.5), Agent(3, false, 0.2), Agent(4, false, 0.3)];

        var plan = Engine().Plan(ring, [30], new Random(2));

        // Rule 30 maps 001, 010, 011, 100 → 1: agents 1 (0 0 1), 2 (0 1 0) and 3 (1 0 0).
        Assert.Equal(3, plan.CaRulesFired[30]);
        var fork = Assert.Single(plan.Forks, f => f.AgentId == "agent_002");
        Assert.NotEqual(fork.AgentGenome.Strategies, fork.ForkGenome.Strategies);
        Assert.True(fork.AgentGenome.SameAs(plan.GenomeUpdates["agent_002"])); // plus the shared learning of the population
    }

    [Fact]
    public void Rule_90_abstracts_only_accepted_changes()
    {
        RingAgent[] ring = [Agent(1, false, 0.1), Agent(2, true, 0.5), Agent(3, true, 0.2), Agent(4, false, 0.3)];

        var plan = Engine().Plan(ring, [90], new Random(2));

        // Rule 90 (l XOR r): agent 1 (0,0,1) → 1, agent 2 (0,1,1) → 1, agent 3 (1,1,0) → 1, agent 4 (1,0,0) → 1.
        Assert.Equal(4, plan.CaRulesFired[90]);
        Assert.Equal(new[] { ("agent_002", "cand_2"), ("agent_003", "cand_3") },
            plan.Abstractions.Select(a => (a.AgentId, a.CandidateId!)));
        Assert.Equal(2, plan.Skipped.Count(s => s.Rule == 90));
    }

    [Fact]
    public void Rule_184_crosses_over_with_the_fitter_neighbour_weighted_by_token_efficiency()
    {
        var partnerGenome = new Genome(new Traits(1, 1, 1, 1), [Genome.Crossover], 0.3);
        RingAgent[] ring =
        [
            Agent(1, false, 0.1, efficiency: 1.0),
            Agent(2, true, 0.2, efficiency: 1.0),
            Agent(3, false, 0.8, efficiency: 3.0, genome: partnerGenome),
            Agent(4, false, 0.3, efficiency: 1.0),
        ];

        var plan = Engine().Plan(ring, [184], new Random(4));

        // Rule 184 maps 011, 100, 101, 111 → 1: agent 2 (0,1,0) no; agent 3 (1,0,0) yes; agent 1 (0,0,1) no.
        var crossover = Assert.Single(plan.Crossovers);
        Assert.Equal("agent_003", crossover.AgentId);
        Assert.Equal("agent_004", crossover.PartnerId); // fitter of agent_002 (0.2) and agent_004 (0.3)
        Assert.Equal(0.75, crossover.SelfWeight, 10);
        Assert.Equal(0.5, PopulationRuleEngine.EfficiencyWeight(0, 0));
    }

    [Fact]
    public void An_agent_that_forks_and_learns_crosses_over_the_genome_it_keeps()
    {
        // States 0 1 1 0: rule 30 and rule 184 both map agent_002's neighbourhood (0,1,1) to 1.
        var partnerGenome = new Genome(new Traits(0.9, 0.9, 0.9, 0.9), [Genome.Crossover], 0.3);
        RingAgent[] ring = [Agent(1, false, 0.9, 1, partnerGenome), Agent(2, true, 0.5, 1), Agent(3, true, 0.2, 1), Agent(4, false, 0.3, 1)];

        var plan = Engine().Plan(ring, [30, 184], new Random(6));

        var fork = Assert.Single(plan.Forks, f => f.AgentId == "agent_002");
        var crossover = Assert.Single(plan.Crossovers, c => c.AgentId == "agent_002");
        Assert.Equal("agent_001", crossover.PartnerId);
        Assert.All(crossover.Genome.Strategies, s => Assert.True(fork.AgentGenome.HasStrategy(s) || partnerGenome.HasStrategy(s)));
        Assert.True(crossover.Genome.SameAs(plan.GenomeUpdates["agent_002"]));
    }

    [Fact]
    public void A_population_below_its_minimum_is_refilled_from_tournament_winners()
    {
        RingAgent[] ring = [Agent(1, false, 0.1), Agent(2, false, 0.9)];

        var plan = Engine(min: 4).Plan(ring, [1], new Random(3));

        Assert.Empty(plan.Retirements);
        Assert.Equal(2, plan.Spawns.Count);
        Assert.All(plan.Spawns, s => Assert.True(s.Refill));
        Assert.All(plan.Spawns, s => Assert.Contains(s.ParentId, new[] { "agent_001", "agent_002" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PopulationLimits(MinPopulation: 5, MaxPopulation: 4));
    }

    [Fact]
    public void Growth_beyond_the_upper_bound_evicts_the_least_fit_never_the_elite()
    {
        // Agents 2, 4, 6 improved: rules 110 and 30 ask for more than the one free place of an upper bound of 7.
        var ring = Enumerable.Range(1, 6).Select(i => Agent(i, i % 2 == 0, i / 10.0)).ToArray();

        var plan = Engine(max: 7).Plan(ring, [110, 30], new Random(1));

        Assert.Equal(7, plan.SizeAfter(ring.Length));
        Assert.NotEmpty(plan.Evictions);
        var parents = plan.Spawns.Select(s => s.ParentId).Concat(plan.Forks.Select(f => f.AgentId)).ToHashSet();
        Assert.All(plan.Evictions, e => Assert.DoesNotContain(e.AgentId, parents));
        Assert.DoesNotContain(plan.Evictions, e => e.AgentId == "agent_006"); // the elite
        // The least fit go first: every evicted agent is less fit than every survivor that could have gone instead.
        var evicted = plan.Evictions.Select(e => ring.First(a => a.Id == e.AgentId).Fitness).ToList();
        var kept = ring.Where(a => !parents.Contains(a.Id) && a.Id != "agent_006" && plan.Evictions.All(e => e.AgentId != a.Id)).Select(a => a.Fitness);
        Assert.All(kept, k => Assert.All(evicted, e => Assert.True(e <= k)));
    }

    [Fact]
    public void Stagnant_agents_explore_instead_of_going_extinct()
    {
        // Nobody improved for four generations: rule 1 retires 30%, the refill restores the size, and every stagnant
        // survivor gets an answer: the best widens, the others restart from the best, cross with another lineage or widen.
        var ring = Enumerable.Range(1, 10).Select(i => Agent(i, false, i / 10.0) with { StepsSinceAccept = 4 }).ToArray();

        var plan = Engine(min: 10, max: 20).Plan(ring, [1, 110, 30, 184, 90], new Random(7));

        Assert.Equal(10, plan.SizeAfter(ring.Length));
        var survivors = ring.Where(a => plan.Retirements.All(r => r.AgentId != a.Id)).Select(a => a.Id).ToHashSet();
        Assert.Equal(survivors, plan.Stagnation.Select(a => a.AgentId).ToHashSet());
        var best = Assert.Single(plan.Stagnation, a => a.AgentId == "agent_010");
        Assert.Equal(StagnationAnswer.Widen, best.Kind);
        Assert.Equal(2.0, best.Genome.StepScale);
        Assert.All(plan.Stagnation.Where(a => a.Kind == StagnationAnswer.Restart), a => Assert.Equal("agent_010", a.PartnerId));
        Assert.All(plan.Stagnation.Where(a => a.Kind == StagnationAnswer.Crossover), a => Assert.True(a.Genome.WeightOf(Genome.Crossover) > 1));
        Assert.True(plan.Stagnation.Select(a => a.Kind).Distinct().Count() >= 2, "the answers vary");
    }

    [Fact]
    public void Agents_that_improved_recently_are_not_stagnant()
    {
        var ring = Enumerable.Range(1, 6).Select(i => Agent(i, false, i / 10.0) with { StepsSinceAccept = PopulationRuleEngine.StagnantAfter - 1 }).ToArray();

        var plan = Engine(min: 6, max: 12).Plan(ring, [1], new Random(3));

        Assert.Empty(plan.Stagnation);
    }

    [Fact]
    public void Plans_are_deterministic_for_a_seed_and_unsupported_rules_are_refused()
    {
        var ring = Enumerable.Range(1, 8).Select(i => Agent(i, i % 3 == 0, i / 10.0, i)).ToArray();
        int[] rules = [110, 30, 90, 184, 1];

        var first = Engine().Plan(ring, rules, new Random(99));
        var second = Engine().Plan(ring, rules, new Random(99));

        Assert.Equal(Describe(first), Describe(second));
        Assert.NotEmpty(first.Spawns);
        Assert.NotEmpty(first.Crossovers);
        Assert.Throws<ArgumentException>(() => Engine().Plan(ring, [118], new Random(1)));
    }

    private static string Describe(PopulationPlan plan) => string.Join('\n',
        plan.Spawns.Select(s => $"spawn {s.FiredAt} {s.ParentId} {s.ChildGenome.Describe()}")
            .Concat(plan.Forks.Select(f => $"fork {f.AgentId} {f.AgentGenome.Describe()} {f.ForkGenome.Describe()}"))
            .Concat(plan.Abstractions.Select(a => $"abstract {a.AgentId} {a.CandidateId}"))
            .Concat(plan.Crossovers.Select(c => $"crossover {c.AgentId} {c.PartnerId} {c.SelfWeight:R} {c.Genome.Describe()}"))
            .Concat(plan.Retirements.Select(r => $"retire {r.AgentId}"))
            .Concat(plan.Skipped.Select(s => $"skip {s.Rule} {s.AgentId} {s.Reason}"))
            .Concat(plan.CaRulesFired.OrderBy(r => r.Key).Select(r => $"fired {r.Key}={r.Value}")));
}
