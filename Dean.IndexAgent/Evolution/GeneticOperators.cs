using Dean.IndexAgent.Agents;
namespace Dean.IndexAgent.Evolution;

/// <summary>
/// The genetic operators of DESIGN section 5: tournament selection (k = 3), elitism (10%), uniform crossover of
/// traits and strategies, gaussian trait mutation (σ = mutation_rate, clamped to [0,1]) and strategy add/drop with
/// probability mutation_rate. Every random choice is drawn from the <see cref="Random"/> passed in.
/// </summary>
public sealed class GeneticOperators(MutationRateRange mutationRateRange)
{
    public const int TournamentSize = 3;
    public const double ElitismFraction = 0.10;

    public GeneticOperators() : this(MutationRateRange.Default)
    {
    }

    public MutationRateRange MutationRateRange { get; } = mutationRateRange;

    /// <summary>
    /// Tournament selection: draw <see cref="TournamentSize"/> contestants uniformly (with replacement, so small
    /// populations work) and return the index of the fittest; ties go to the earlier draw.
    /// </summary>
    public static int TournamentSelect(IReadOnlyList<double> fitness, Random random)
    {
        if (fitness.Count == 0)
            throw new ArgumentException("Cannot select from an empty population.", nameof(fitness));
        var best = random.Next(fitness.Count);
        for (var draw = 1; draw < TournamentSize; draw++)
        {
            var contestant = random.Next(fitness.Count);
            if (fitness[contestant] > fitness[best])
                best = contestant;
        }
        return best;
    }

    /// <summary>Number of elites for a population: 10%, rounded up, so any non-empty population keeps its best.</summary>
    public static int EliteCount(int populationSize) =>
        populationSize <= 0 ? 0 : (int)Math.Ceiling(populationSize * ElitismFraction - 1e-9);

    /// <summary>Indices of the elite (fittest 10%), fittest first; ties broken by lower index (creation order).</summary>
    public static IReadOnlyList<int> EliteIndices(IReadOnlyList<double> fitness) =>
        Enumerable.Range(0, fitness.Count)
            .OrderByDescending(i => fitness[i])
            .ThenBy(i => i)
            .Take(EliteCount(fitness.Count))
            .ToArray();

    /// <summary>
    /// Uniform crossover. Each trait, the mutation rate and each strategy of the union of both strategy sets is
    /// inherited from <paramref name="first"/> with probability <paramref name="firstWeight"/>, else from
    /// <paramref name="second"/> (a strategy is kept when the chosen parent has it). The child never holds a gene
    /// that neither parent has; if the draw leaves it without strategies it inherits one the parents share or, failing
    /// that, one from the union.
    /// </summary>
    public Genome Crossover(Genome first, Genome second, Random random, double firstWeight = 0.5)
    {
        if (firstWeight is < 0.0 or > 1.0 || double.IsNaN(firstWeight))
            throw new ArgumentOutOfRangeException(nameof(firstWeight), firstWeight, "A weight is a probability.");

        var a = first.Traits.Values();
        var b = second.Traits.Values();
        var traits = new double[GenomeOperations.TraitCount];
        for (var i = 0; i < traits.Length; i++)
            traits[i] = random.NextBool(firstWeight) ? a[i] : b[i];

        var union = first.Strategies.Union(second.Strategies, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var strategies = new List<string>();
        foreach (var strategy in union)
        {
            var parent = random.NextBool(firstWeight) ? first : second;
            if (parent.HasStrategy(strategy))
                strategies.Add(strategy);
        }
        if (strategies.Count == 0 && union.Length > 0)
        {
            var shared = first.Strategies.Intersect(second.Strategies, StringComparer.Ordinal).ToArray();
            strategies.Add(random.Pick(shared.Length > 0 ? shared : union));
        }

        var mutationRate = random.NextBool(firstWeight) ? first.MutationRate : second.MutationRate;
        // What each parent learned on the target: every strategy's weight, and the spread, from either parent.
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var key in (first.StrategyWeights?.Keys ?? []).Union(second.StrategyWeights?.Keys ?? [], StringComparer.Ordinal).Order(StringComparer.Ordinal))
            weights[key] = (random.NextBool(firstWeight) ? first : second).WeightOf(key);
        var stepScale = random.NextBool(firstWeight) ? first.StepScale : second.StepScale;
        return new Genome(GenomeOperations.ToTraits(traits), GenomeOperations.CanonicalStrategies(strategies), MutationRateRange.Clamp(mutationRate),
            weights.Count == 0 ? null : weights, stepScale);
    }

    /// <summary>Mutation at the genome's own rate: σ = mutation_rate, add/drop probability = mutation_rate.</summary>
    public Genome Mutate(Genome genome, Random random) => Mutate(genome, genome.MutationRate, random);

    /// <summary>
    /// Mutation at an explicit strength (used by the diversity defence): each trait gets gaussian noise with
    /// σ = <paramref name="strength"/> and is clamped to [0,1]; with probability <paramref name="strength"/> a base
    /// strategy the genome lacks is added, and independently with the same probability one strategy is dropped
    /// (never the last one). The mutation rate is only clamped into the allowed range; the learned strategy weights and
    /// spread are inherited.
    /// </summary>
    public Genome Mutate(Genome genome, double strength, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(strength);

        var traits = genome.Traits.Values()
            .Select(value => Math.Clamp(value + strength * random.NextGaussian(), 0.0, 1.0))
            .ToArray();

        var strategies = genome.Strategies.ToList();
        if (random.NextBool(strength))
        {
            var missing = Genome.Vocabulary.Where(s => !strategies.Contains(s, StringComparer.Ordinal)).ToArray();
            if (missing.Length > 0)
                strategies.Add(random.Pick(missing));
        }
        // Never the strategy the agent learned pays best: a mutation explores, it does not unlearn the target.
        var keep = BestLearned(genome);
        var droppable = strategies.Where(s => s != keep).ToList();
        if (random.NextBool(strength) && strategies.Count > 1 && droppable.Count > 0)
            strategies.Remove(droppable[random.Next(droppable.Count)]);

        return genome with
        {
            Traits = GenomeOperations.ToTraits(traits),
            Strategies = GenomeOperations.CanonicalStrategies(strategies),
            MutationRate = MutationRateRange.Clamp(genome.MutationRate),
        };
    }

    /// <summary>A random genome within bounds: uniform traits, a non-empty random subset of the base strategies, a uniform mutation rate in range.</summary>
    public Genome RandomGenome(Random random)
    {
        var traits = new Traits(random.NextDouble(), random.NextDouble(), random.NextDouble(), random.NextDouble());
        var strategies = Genome.Vocabulary.Where(_ => random.NextBool(0.5)).ToList();
        if (strategies.Count == 0)
            strategies.Add(random.Pick(Genome.Vocabulary));
        var rate = MutationRateRange.Min + random.NextDouble() * (MutationRateRange.Max - MutationRateRange.Min);
        return new Genome(traits, GenomeOperations.CanonicalStrategies(strategies), rate);
    }

    /// <summary>
    /// Two genomes that split <paramref name="genome"/>'s strategies (rule 30's fork): the strategies are shuffled and
    /// dealt into two halves, and each half also gains a base strategy that the other half lacks, so the two branches
    /// explore differently; both keep the strategy the genome learned pays best (<see cref="BestLearned"/>). Traits,
    /// mutation rate and learned weights are inherited unchanged.
    /// </summary>
    public (Genome First, Genome Second) Diversify(Genome genome, Random random)
    {
        var shuffled = random.Draw(genome.Strategies, genome.Strategies.Count);
        var half = (shuffled.Count + 1) / 2;
        var first = shuffled.Take(half).ToList();
        var second = shuffled.Skip(half).ToList();
        AddNovelStrategy(first, second, random);
        AddNovelStrategy(second, first, random);
        // Both branches keep the strategy that paid best so far: they differ in what else they try.
        if (BestLearned(genome) is { } best)
        {
            if (!first.Contains(best)) first.Add(best);
            if (!second.Contains(best)) second.Add(best);
        }
        return (genome.WithStrategies(first), genome.WithStrategies(second));
    }

    /// <summary>The genome's strategy with the highest learned weight, when one has gained weight (above 1); else null.</summary>
    public static string? BestLearned(Genome genome)
    {
        if (genome.StrategyWeights is null) return null;
        var best = genome.Strategies.Distinct().OrderByDescending(genome.WeightOf).ThenBy(s => s, StringComparer.Ordinal).FirstOrDefault();
        return best is not null && genome.WeightOf(best) > 1.0 ? best : null;
    }

    private static void AddNovelStrategy(List<string> target, List<string> other, Random random)
    {
        var candidates = Genome.Vocabulary
            .Where(s => !target.Contains(s, StringComparer.Ordinal) && !other.Contains(s, StringComparer.Ordinal))
            .ToArray();
        if (candidates.Length == 0)
            candidates = Genome.Vocabulary.Where(s => !target.Contains(s, StringComparer.Ordinal)).ToArray();
        if (candidates.Length > 0)
            target.Add(random.Pick(candidates));
    }
}
