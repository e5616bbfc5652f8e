using Dean.IndexAgent.Agents;

namespace Dean.IndexAgent.Evolution;

/// <summary>Genome helpers used by the evolution logic (extension methods, so they work on either genome definition).</summary>
public static class GenomeOperations
{
    public const int TraitCount = 4;

    /// <summary>The traits in a fixed order: exploration, creativity, efficiency, risk.</summary>
    public static double[] Values(this Traits traits) => [traits.Exploration, traits.Creativity, traits.Efficiency, traits.Risk];

    public static Traits ToTraits(IReadOnlyList<double> values)
    {
        if (values.Count != TraitCount)
            throw new ArgumentException($"A genome has {TraitCount} traits.", nameof(values));
        return new Traits(values[0], values[1], values[2], values[3]);
    }

    public static bool IsWithinBounds(this Traits traits) => traits.Values().All(v => v is >= 0.0 and <= 1.0);

    /// <summary>Mean absolute trait difference; in [0,1] for traits within bounds.</summary>
    public static double MeanAbsoluteDifference(this Traits first, Traits second)
    {
        var a = first.Values();
        var b = second.Values();
        var sum = 0.0;
        for (var i = 0; i < TraitCount; i++)
            sum += Math.Abs(a[i] - b[i]);
        return sum / TraitCount;
    }

    /// <summary>Traits in [0,1], strategies known and non-empty, mutation rate inside <paramref name="range"/>.</summary>
    public static bool IsWithinBounds(this Genome genome, MutationRateRange range) =>
        genome.Traits.IsWithinBounds() && range.Contains(genome.MutationRate)
        && genome.Strategies.Count > 0 && genome.Strategies.All(Genome.IsKnownStrategy);

    public static bool HasStrategy(this Genome genome, string strategy) => genome.Strategies.Contains(strategy, StringComparer.Ordinal);

    /// <summary>Strategies as a set: distinct and in ordinal order, so equal sets compare equal item by item.</summary>
    public static string[] CanonicalStrategies(IEnumerable<string> strategies) =>
        strategies.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    /// <summary>A copy with another strategy set (canonical order).</summary>
    public static Genome WithStrategies(this Genome genome, IEnumerable<string> strategies)
    {
        var canonical = CanonicalStrategies(strategies);
        var unknown = canonical.FirstOrDefault(s => !Genome.IsKnownStrategy(s));
        if (unknown is not null)
            throw new ArgumentException($"Unknown strategy '{unknown}'.", nameof(strategies));
        return genome with { Strategies = canonical };
    }

    /// <summary>Value equality: same traits, mutation rate and strategy set (the record's own equality compares the list by reference).</summary>
    public static bool SameAs(this Genome genome, Genome other) =>
        genome.Traits == other.Traits
        && genome.MutationRate.Equals(other.MutationRate)
        && CanonicalStrategies(genome.Strategies).SequenceEqual(CanonicalStrategies(other.Strategies), StringComparer.Ordinal);

    /// <summary>The <c>pattern:{id}</c> strategy that adopts a pattern.</summary>
    public static string PatternStrategy(string patternId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patternId);
        return Genome.PatternPrefix + patternId;
    }

    /// <summary>Propagation (<c>POST patterns/{id}/propagate</c>): the genome with the <c>pattern:{id}</c> strategy added.</summary>
    public static Genome AdoptPattern(this Genome genome, string patternId) =>
        genome.WithStrategies(genome.Strategies.Append(PatternStrategy(patternId)));

    /// <summary>The pattern id of a <c>pattern:{id}</c> strategy, or null.</summary>
    public static string? PatternIdOf(string strategy) =>
        strategy.StartsWith(Genome.PatternPrefix, StringComparison.Ordinal) && strategy.Length > Genome.PatternPrefix.Length
            ? strategy[Genome.PatternPrefix.Length..]
            : null;

    /// <summary>A stable text form, for logs and for comparing genomes by value.</summary>
    public static string Describe(this Genome genome) =>
        FormattableString.Invariant(
            $"traits=[{string.Join(", ", genome.Traits.Values().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}] strategies=[{string.Join(", ", CanonicalStrategies(genome.Strategies))}] mutation_rate={genome.MutationRate:R}");
}
