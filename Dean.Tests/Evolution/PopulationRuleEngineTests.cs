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
    public void Rule_1_never_retires_below_the_minimum_population()
    {
        var ring = Enumerable.Range(1, 10).Select(i => Agent(i, false, i / 10.0)).ToArray();

        var plan = Engine(min: 9).Plan(ring, [1], new Random(1));

        var retired = Assert.Single(plan.Retirements);
        Assert.Equal("agent_001", retired.AgentId);
    }

    [Property(MaxTest = 300)]
    public bool Rule_1_never_retires_below_minimum_nor_more_than_30_percent(int seed)
    {
        var random = new Random(seed);
        var size = random.Next(1, 40);
        var min = random.Next(1, 45);
        var ring = Enumerable.Range(1, size).Select(i => Agent(i, random.Next(4) == 0, random.NextDouble())).ToArray();

        var plan = Engine(min: min, max: 60).Plan(ring, [1, 110, 30, 184, 90], random);

        var retired = plan.Retirements.Count;
        return retired <= (int)Math.Floor(0.3 * size + 1e-9)
            && (retired == 0 || size - retired >= min)
            && plan.Retirements.Select(r => r.AgentId).Distinct().Count() == retired;
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

        var plan = Engine(min: 2, max: 40).Plan(ring, PopulationRuleEngine.SupportedRules, random);

        var genomes = plan.Spawns.Select(s => s.ChildGenome)
            .Concat(plan.Forks.SelectMany(f => new[] { f.AgentGenome, f.ForkGenome }))
            .Concat(plan.Crossovers.Select(c => c.Genome));
        return plan.Spawns.Where(s => !s.Refill).All(s => Fires(110, s.FiredAt)
                && PopulationRuleEngine.FittestOfNeighbourhood(ring, index[s.FiredAt]).Id == s.ParentId)
            && plan.Forks.All(f => Fires(30, f.AgentId))
            && plan.Abstractions.All(a => Fires(90, a.AgentId) && ring[index[a.AgentId]].Improved)
            && plan.Crossovers.All(c => Fires(184, c.AgentId) && c.PartnerId != c.AgentId || ring.Length == 1)
            && plan.Retirements.All(r => Fires(1, r.AgentId))
            && ring.Length - plan.Retirements.Count + plan.Spawns.Count + plan.Forks.Count <= Math.Max(40, ring.Length)
            && genomes.All(g => g.IsWithinBounds(MutationRateRange.Default));
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
        Assert.Same(fork.AgentGenome, plan.GenomeUpdates["agent_002"]);
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
        Assert.Same(crossover.Genome, plan.GenomeUpdates["agent_002"]);
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
    public void Growth_stops_at_the_maximum_population_fittest_parents_first()
    {
        var ring = Enumerable.Range(1, 6).Select(i => Agent(i, i % 2 == 0, i / 10.0)).ToArray();

        var plan = Engine(max: 7).Plan(ring, [110, 30], new Random(1));

        Assert.Equal(1, plan.Spawns.Count + plan.Forks.Count);
        Assert.Contains(plan.Skipped, s => s.Reason.Contains("maximum", StringComparison.Ordinal));
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
