using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evolution;
using FsCheck.Xunit;

namespace Dean.Tests.Evolution;

public sealed class GeneticOperatorsTests
{
    private readonly GeneticOperators operators = new();

    [Property(MaxTest = 300)]
    public bool Crossover_only_takes_genes_from_the_parents(int seed)
    {
        var random = new Random(seed);
        var first = GenomeGenerators.Any(random);
        var second = GenomeGenerators.Any(random);
        var weight = random.NextDouble();

        var child = operators.Crossover(first, second, random, weight);

        var a = first.Traits.Values();
        var b = second.Traits.Values();
        var c = child.Traits.Values();
        var traitsFromParents = Enumerable.Range(0, GenomeOperations.TraitCount).All(i => c[i] == a[i] || c[i] == b[i]);
        var strategiesFromParents = child.Strategies.All(s => first.HasStrategy(s) || second.HasStrategy(s));
        var rateFromParents = child.MutationRate == first.MutationRate || child.MutationRate == second.MutationRate;
        return traitsFromParents && strategiesFromParents && rateFromParents && child.Strategies.Count > 0;
    }

    [Fact]
    public void Crossover_weight_decides_which_parent_genes_come_from()
    {
        var random = new Random(7);
        var first = new Genome(new Traits(0, 0, 0, 0), [Genome.Simplify], 0.05);
        var second = new Genome(new Traits(1, 1, 1, 1), [Genome.Reorder], 0.3);

        Assert.True(first.SameAs(operators.Crossover(first, second, random, firstWeight: 1.0)));
        Assert.True(second.SameAs(operators.Crossover(first, second, random, firstWeight: 0.0)));
    }

    [Property(MaxTest = 300)]
    public bool Mutation_respects_bounds(int seed, bool strong)
    {
        var random = new Random(seed);
        var range = new MutationRateRange(0.05, 0.3);
        var genome = GenomeGenerators.Any(random, range);
        var strength = strong ? 1.0 : random.NextDouble() * 0.3;

        var mutated = operators.Mutate(genome, strength, random);
        var selfRate = operators.Mutate(genome, random);

        return mutated.IsWithinBounds(range) && selfRate.IsWithinBounds(range)
            && mutated.Strategies.Count > 0 && mutated.Strategies.All(Genome.IsKnownStrategy);
    }

    [Fact]
    public void Mutation_noise_has_the_genome_mutation_rate_as_sigma()
    {
        var random = new Random(11);
        var genome = new Genome(new Traits(0.5, 0.5, 0.5, 0.5), [Genome.TuneConstants], 0.1);

        var deltas = Enumerable.Range(0, 5000)
            .SelectMany(_ => operators.Mutate(genome, random).Traits.Values().Select(v => v - 0.5))
            .ToArray();
        var sigma = Math.Sqrt(deltas.Average(d => d * d));

        Assert.InRange(sigma, 0.095, 0.105);
        Assert.InRange(deltas.Average(), -0.005, 0.005);
    }

    [Fact]
    public void Mutation_with_zero_strength_changes_nothing()
    {
        var random = new Random(3);
        var genome = GenomeGenerators.Any(random);
        Assert.True(genome.SameAs(operators.Mutate(genome, 0.0, random)));
    }

    [Fact]
    public void Strategy_add_and_drop_happen_with_probability_mutation_rate()
    {
        var random = new Random(5);
        var genome = new Genome(new Traits(0.5, 0.5, 0.5, 0.5), [Genome.TuneConstants, Genome.Reorder], 0.3);
        const int trials = 20000;
        var added = 0;
        var dropped = 0;
        for (var t = 0; t < trials; t++)
        {
            var mutated = operators.Mutate(genome, random);
            if (mutated.Strategies.Except(genome.Strategies).Any()) added++;
            if (genome.Strategies.Except(mutated.Strategies).Any()) dropped++;
        }
        // p = 0.3. An added strategy survives unless the drop (probability p) then picks it (1 of 3): p·(1 − p/3).
        // An original is lost when the drop picks one of the two originals out of three (after an add) or of two: p·(p·2/3 + 1 − p).
        const double p = 0.3;
        Assert.InRange(added / (double)trials, p * (1 - p / 3) - 0.01, p * (1 - p / 3) + 0.01);
        Assert.InRange(dropped / (double)trials, p * (p * 2 / 3 + 1 - p) - 0.01, p * (p * 2 / 3 + 1 - p) + 0.01);
    }

    [Property(MaxTest = 200)]
    public bool Random_genomes_are_within_bounds(int seed)
    {
        var range = new MutationRateRange(0.1, 0.2);
        var genome = new GeneticOperators(range).RandomGenome(new Random(seed));
        return genome.IsWithinBounds(range) && genome.Strategies.Count > 0
            && genome.Strategies.All(s => Genome.Vocabulary.Contains(s));
    }

    [Fact]
    public void Tournament_of_three_picks_the_best_with_probability_one_minus_the_chance_of_missing_it_three_times()
    {
        var random = new Random(1);
        var fitness = Enumerable.Range(0, 10).Select(i => (double)i).ToArray();
        const int trials = 30000;
        var wins = Enumerable.Range(0, trials).Count(_ => GeneticOperators.TournamentSelect(fitness, random) == 9);
        var expected = 1 - Math.Pow(0.9, GeneticOperators.TournamentSize);
        Assert.InRange(wins / (double)trials, expected - 0.01, expected + 0.01);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 1)]
    [InlineData(10, 1)]
    [InlineData(11, 2)]
    [InlineData(20, 2)]
    [InlineData(50, 5)]
    public void Elitism_keeps_ten_percent_rounded_up(int size, int elites) =>
        Assert.Equal(elites, GeneticOperators.EliteCount(size));

    [Fact]
    public void Elite_indices_are_the_fittest()
    {
        double[] fitness = [0.1, 0.9, 0.5, 0.95, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.0];
        Assert.Equal(new[] { 3, 1 }, GeneticOperators.EliteIndices(fitness));
    }

    [Fact]
    public void Same_seed_same_offspring()
    {
        var parent = GenomeGenerators.Any(new Random(9));
        var other = GenomeGenerators.Any(new Random(10));
        Assert.Equal(operators.Mutate(parent, new Random(42)).Describe(), operators.Mutate(parent, new Random(42)).Describe());
        Assert.Equal(operators.Crossover(parent, other, new Random(42)).Describe(), operators.Crossover(parent, other, new Random(42)).Describe());
        Assert.NotEqual(operators.Mutate(parent, new Random(42)).Describe(), operators.Mutate(parent, new Random(43)).Describe());
    }

    [Property(MaxTest = 200)]
    public bool Diversify_splits_the_strategies_into_two_different_branches(int seed)
    {
        var random = new Random(seed);
        var genome = GenomeGenerators.Any(random);
        var (first, second) = operators.Diversify(genome, random);
        var original = genome.Strategies.ToHashSet();
        var inherited = original.All(s => first.HasStrategy(s) || second.HasStrategy(s));
        return inherited && first.Strategies.Count > 0 && second.Strategies.Count > 0
            && !first.Strategies.SequenceEqual(second.Strategies)
            && first.Traits == genome.Traits && second.Traits == genome.Traits;
    }

    [Fact]
    public void Genome_strategies_are_compared_as_a_set_and_unknown_ones_are_refused()
    {
        var genome = Genome.Default.WithStrategies(["simplify", "reorder", "simplify", "pattern:pattern_001"]);
        Assert.Equal(new[] { "pattern:pattern_001", "reorder", "simplify" }, genome.Strategies);
        Assert.True(genome.SameAs(Genome.Default with { Strategies = ["reorder", "pattern:pattern_001", "simplify"] }));
        Assert.False(genome.SameAs(Genome.Default with { Strategies = ["reorder", "simplify"] }));
        Assert.Throws<ArgumentException>(() => Genome.Default.WithStrategies(["teleport"]));
        Assert.Equal("pattern_001", GenomeOperations.PatternIdOf("pattern:pattern_001"));
        Assert.True(Genome.Default.AdoptPattern("pattern_002").HasStrategy("pattern:pattern_002"));
        Assert.Null(GenomeOperations.PatternIdOf("simplify"));
    }

    [Fact]
    public void Forks_and_mutations_keep_the_strategy_that_paid_best()
    {
        var operators = new GeneticOperators();
        var learned = Genome.Default with { StrategyWeights = new Dictionary<string, double> { [Genome.TuneConstants] = 3.0, [Genome.Simplify] = 0.5 } };
        Assert.Equal(Genome.TuneConstants, GeneticOperators.BestLearned(learned));
        Assert.Null(GeneticOperators.BestLearned(Genome.Default));
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            var (first, second) = operators.Diversify(learned, random);
            Assert.True(first.HasStrategy(Genome.TuneConstants) && second.HasStrategy(Genome.TuneConstants));
            Assert.False(first.SameAs(second));
            Assert.True(operators.Mutate(learned, 1.0, random).HasStrategy(Genome.TuneConstants));
            Assert.Equal(3.0, operators.Mutate(learned, 1.0, random).WeightOf(Genome.TuneConstants));
        }
    }
}
