using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evolution;
using FsCheck.Xunit;

namespace Dean.Tests.Evolution;

public sealed class DiversityTests
{
    private static readonly Genome SharedGenome =
        new(new Traits(0.5, 0.5, 0.5, 0.5), [Genome.TuneConstants, Genome.Reorder], 0.1);

    private static DiversityMember Member(string id, Genome genome, double fitness = 0.5, string code = "x = 1\ny = 2\n", params string[] lineage) =>
        new(id, genome, fitness, new Dictionary<string, string> { ["program.py"] = code }, lineage.Length > 0 ? lineage : null);

    [Fact]
    public void Identical_agents_have_diversity_zero()
    {
        var population = Enumerable.Range(1, 5).Select(i => Member($"agent_{i:D3}", SharedGenome)).ToArray();

        var report = Diversity.Measure(population, threshold: 0.3);

        Assert.Equal(0.0, report.Diversity);
        Assert.Equal(DistanceComponents.Zero, report.Components);
        Assert.Equal(DiversityRecommendation.Critical, report.Recommendation);
        Assert.Equal("critical", report.RecommendationName);
    }

    [Property(MaxTest = 200)]
    public bool Diversity_stays_in_zero_to_one(int seed)
    {
        var random = new Random(seed);
        var size = random.Next(0, 8);
        var population = Enumerable.Range(0, size).Select(i => new DiversityMember(
            $"agent_{i}",
            GenomeGenerators.Any(random),
            random.NextDouble(),
            Enumerable.Range(0, random.Next(0, 3)).ToDictionary(
                f => $"file{f}.py",
                _ => string.Join('\n', Enumerable.Range(0, random.Next(0, 12)).Select(_ => $"v = {random.Next(4)}")))))
            .ToArray();

        var report = Diversity.Measure(population);
        var pairwiseOk = population.SelectMany(a => population.Select(b => Diversity.Distance(a, b))).All(d => d is >= 0 and <= 1);
        return report.Diversity is >= 0.0 and <= 1.0
            && report.Components.Traits is >= 0 and <= 1
            && report.Components.Strategies is >= 0 and <= 1
            && report.Components.Code is >= 0 and <= 1
            && pairwiseOk;
    }

    [Fact]
    public void Distance_weights_traits_strategies_and_code_0_4_0_4_0_2()
    {
        var a = Member("a", new Genome(new Traits(0, 0, 0, 0), ["simplify", "reorder"], 0.1), code: "a\nb\nc\n");
        var b = Member("b", new Genome(new Traits(1, 1, 0, 0), ["simplify", "crossover"], 0.1), code: "a\nx\nc\n");

        var components = Diversity.Components(a, b);

        Assert.Equal(0.5, components.Traits, 12);             // mean |Δ| = (1 + 1 + 0 + 0) / 4
        Assert.Equal(1 - 1.0 / 3, components.Strategies, 12); // Jaccard {simplify} / {simplify, reorder, crossover}
        Assert.Equal(2.0 / 6, components.Code, 12);           // one line deleted, one inserted, of 3 + 3
        Assert.Equal(0.4 * 0.5 + 0.4 * (2.0 / 3) + 0.2 * (2.0 / 6), Diversity.Distance(a, b), 12);
    }

    [Fact]
    public void Code_distance_counts_files_only_one_agent_has_as_entirely_changed()
    {
        var first = new Dictionary<string, string> { ["a.py"] = "1\n2\n", ["b.py"] = "x\n" };
        var second = new Dictionary<string, string> { ["a.py"] = "1\n2\n" };
        Assert.Equal(1.0 / 5, Diversity.CodeDistance(first, second), 12);
    }

    [Theory]
    [InlineData(0.30, "healthy")]
    [InlineData(0.50, "healthy")]
    [InlineData(0.29, "warning")]
    [InlineData(0.15, "warning")]
    [InlineData(0.149, "critical")]
    [InlineData(0.0, "critical")]
    public void Recommendation_follows_the_threshold(double diversity, string expected) =>
        Assert.Equal(expected, Diversity.Name(Diversity.Recommend(diversity, 0.3)));

    [Fact]
    public void Population_above_the_threshold_gets_no_intervention()
    {
        var random = new Random(1);
        var population = new[]
        {
            Member("a", new Genome(new Traits(0, 0, 0, 0), ["simplify"], 0.1), code: "a\n"),
            Member("b", new Genome(new Traits(1, 1, 1, 1), ["reorder"], 0.1), code: "b\n"),
        };

        var result = new DiversityDefence().Defend(population, 0.3, [], random);

        Assert.Empty(result.Interventions);
        Assert.Empty(result.GenomeUpdates);
        Assert.Equal(result.Before, result.After);
    }

    [Fact]
    public void Population_pushed_below_the_threshold_gets_close_pair_mutations()
    {
        // Three clones and one agent with disjoint strategies: the three cross pairs are 0.4 apart, the clone pairs 0,
        // so diversity is 3 · 0.4 / 6 = 0.2: below 0.3 but not below half of it.
        var clone = new Genome(new Traits(0.5, 0.5, 0.5, 0.5), ["simplify", "reorder"], 0.1);
        var other = new Genome(new Traits(0.5, 0.5, 0.5, 0.5), ["crossover", "restructure"], 0.1);
        var population = new[]
        {
            Member("agent_001", clone, fitness: 0.1),
            Member("agent_002", clone, fitness: 0.2),
            Member("agent_003", clone, fitness: 0.3),
            Member("agent_004", other, fitness: 0.4),
        };

        var result = new DiversityDefence().Defend(population, 0.3, [new PatternOffer("pattern_001", "agent_009")], new Random(5));

        Assert.Equal(0.2, result.Before.Diversity, 12);
        Assert.Equal(DiversityRecommendation.Warning, result.Before.Recommendation);
        Assert.All(result.Interventions, i => Assert.Equal(InterventionKinds.ClosePairMutation, i.Kind));
        // The less fit of each clone pair is mutated once: agent_001 (twice the weaker) and agent_002.
        Assert.Equal(new[] { "agent_001", "agent_002" }, result.Interventions.Select(i => i.AgentId));
        Assert.All(result.Interventions, i => Assert.Equal(DiversityDefence.ClosePairStrength, i.Strength));
        Assert.Equal(new[] { "agent_001", "agent_002" }, result.GenomeUpdates.Keys.Order());
        Assert.True(result.After.Diversity > result.Before.Diversity);
    }

    [Fact]
    public void Population_below_half_the_threshold_also_gets_random_mutation_and_outside_patterns()
    {
        var population = Enumerable.Range(1, 10)
            .Select(i => Member($"agent_{i:D3}", SharedGenome, fitness: i / 10.0, lineage: [$"agent_{i:D3}", "agent_000"]))
            .ToArray();
        PatternOffer[] patterns =
        [
            new("pattern_own", "agent_000"), // discovered by everyone's ancestor: never offered
            new("pattern_007", "agent_007"),
            new("pattern_elsewhere", "agent_999"),
        ];

        var result = new DiversityDefence().Defend(population, 0.3, patterns, new Random(8));

        Assert.Equal(0.0, result.Before.Diversity);
        Assert.Equal(9, result.Interventions.Count(i => i.Kind == InterventionKinds.ClosePairMutation));
        var random = result.Interventions.Where(i => i.Kind == InterventionKinds.RandomMutation).ToArray();
        Assert.Equal(2, random.Length); // 20% of 10
        Assert.All(random, i => Assert.Equal(DiversityDefence.RandomMutationStrength, i.Strength));
        Assert.DoesNotContain(random, i => i.AgentId == "agent_010"); // the elite is left alone
        var gifts = result.Interventions.Where(i => i.Kind == InterventionKinds.PatternInjection).ToArray();
        Assert.Equal(2, gifts.Length);
        Assert.Equal(2, gifts.Select(g => g.AgentId).Distinct().Count());
        Assert.All(gifts, g =>
        {
            Assert.NotEqual("pattern_own", g.PatternId);
            Assert.False(g.PatternId == "pattern_007" && g.AgentId == "agent_007");
            Assert.Contains(GenomeOperations.PatternStrategy(g.PatternId!), result.GenomeUpdates[g.AgentId].Strategies);
        });
        Assert.True(result.After.Diversity > 0.0);
    }

    [Property(MaxTest = 200)]
    public bool The_defence_intervenes_only_below_the_threshold_and_keeps_genomes_in_bounds(int seed)
    {
        var random = new Random(seed);
        var template = GenomeGenerators.Any(random);
        // Mostly clones of one genome, so every kind of population (healthy to critical) turns up.
        var population = Enumerable.Range(0, random.Next(2, 12))
            .Select(i => Member($"agent_{i:D3}", random.Next(3) == 0 ? GenomeGenerators.Any(random) : template, random.NextDouble(),
                lineage: [$"agent_{i:D3}"]))
            .ToArray();
        var threshold = random.NextDouble() * 0.6;
        PatternOffer[] offers = [new("pattern_001", "agent_000"), new("pattern_002", "agent_001")];

        var result = new DiversityDefence().Defend(population, threshold, offers, random);

        var quietWhenHealthy = result.Before.Diversity < threshold || result.Interventions.Count == 0;
        var patternsOnlyWhenCritical = result.Before.Diversity < threshold / 2
            || result.Interventions.All(i => i.Kind == InterventionKinds.ClosePairMutation);
        return quietWhenHealthy && patternsOnlyWhenCritical
            && result.GenomeUpdates.Values.All(g => g.IsWithinBounds(MutationRateRange.Default))
            && result.After.Diversity is >= 0 and <= 1;
    }

    [Fact]
    public void Inject_mutation_mutates_every_agent_and_reports_before_and_after()
    {
        var population = Enumerable.Range(1, 4).Select(i => Member($"agent_{i:D3}", SharedGenome)).ToArray();

        var result = new DiversityDefence().InjectMutation(population, 0.2, 0.3, new Random(3));

        Assert.Equal(4, result.Interventions.Count);
        Assert.Equal(0.0, result.Before.Diversity);
        Assert.True(result.After.Diversity > 0.0);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DiversityDefence().InjectMutation(population, 1.5, 0.3, new Random(3)));
    }
}
