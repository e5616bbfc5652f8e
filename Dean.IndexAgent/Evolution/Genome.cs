namespace Dean.IndexAgent.Evolution;

/// <summary>The four behavioural traits of an agent, each in [0,1] (DESIGN section 3).</summary>
public sealed record GenomeTraits(double Exploration, double Creativity, double Efficiency, double Risk)
{
    public const int Count = 4;

    /// <summary>The traits in a fixed order (exploration, creativity, efficiency, risk).</summary>
    public IReadOnlyList<double> ToArray() => [Exploration, Creativity, Efficiency, Risk];

    public static GenomeTraits FromArray(IReadOnlyList<double> values)
    {
        if (values.Count != Count)
            throw new ArgumentException($"A genome has {Count} traits.", nameof(values));
        return new GenomeTraits(values[0], values[1], values[2], values[3]);
    }

    /// <summary>Every trait clamped into [0,1].</summary>
    public GenomeTraits Clamped() => FromArray(ToArray().Select(v => Math.Clamp(v, 0.0, 1.0)).ToArray());

    public bool IsWithinBounds => ToArray().All(v => v is >= 0.0 and <= 1.0);

    /// <summary>Mean absolute trait difference, in [0,1] for traits in bounds.</summary>
    public double MeanAbsoluteDifference(GenomeTraits other)
    {
        var a = ToArray();
        var b = other.ToArray();
        var sum = 0.0;
        for (var i = 0; i < Count; i++)
            sum += Math.Abs(a[i] - b[i]);
        return sum / Count;
    }
}

/// <summary>The inclusive range a genome's mutation rate must lie in (constraint <c>mutation_rate_range</c>).</summary>
public readonly record struct MutationRateRange(double Min, double Max)
{
    public static MutationRateRange Default { get; } = new(0.05, 0.3);

    public double Clamp(double rate) => Math.Clamp(rate, Min, Max);

    public bool Contains(double rate) => rate >= Min && rate <= Max;
}

/// <summary>
/// An agent's genome (DESIGN section 3): traits, a set of strategies from <see cref="StrategyVocabulary"/>
/// and a mutation rate. Strategies are kept sorted and distinct, so equal genomes compare equal.
/// </summary>
public sealed record Genome
{
    public Genome(GenomeTraits traits, IEnumerable<string> strategies, double mutationRate)
    {
        Traits = traits;
        Strategies = strategies.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        foreach (var strategy in Strategies)
        {
            if (!StrategyVocabulary.IsValid(strategy))
                throw new ArgumentException($"Unknown strategy '{strategy}'.", nameof(strategies));
        }
        MutationRate = mutationRate;
    }

    public GenomeTraits Traits { get; init; }

    /// <summary>Sorted, distinct strategy names.</summary>
    public IReadOnlyList<string> Strategies { get; }

    public double MutationRate { get; init; }

    public bool HasStrategy(string strategy) => Strategies.Contains(strategy, StringComparer.Ordinal);

    /// <summary>A copy with a different strategy set (normalised the same way as the constructor).</summary>
    public Genome WithStrategies(IEnumerable<string> strategies) => new(Traits, strategies, MutationRate);

    /// <summary>Traits in [0,1] and the mutation rate inside <paramref name="range"/>.</summary>
    public bool IsWithinBounds(MutationRateRange range) => Traits.IsWithinBounds && range.Contains(MutationRate);

    public bool Equals(Genome? other) =>
        other is not null
        && Traits == other.Traits
        && MutationRate.Equals(other.MutationRate)
        && Strategies.SequenceEqual(other.Strategies, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Traits);
        hash.Add(MutationRate);
        foreach (var strategy in Strategies)
            hash.Add(strategy, StringComparer.Ordinal);
        return hash.ToHashCode();
    }

    public override string ToString() =>
        $"Genome {{ {Traits}, Strategies = [{string.Join(", ", Strategies)}], MutationRate = {MutationRate} }}";
}

/// <summary>The strategy vocabulary of DESIGN section 3.</summary>
public static class StrategyVocabulary
{
    public const string TuneConstants = "tune-constants";
    public const string Simplify = "simplify";
    public const string Restructure = "restructure";
    public const string Reorder = "reorder";
    public const string Crossover = "crossover";
    public const string ApplyPattern = "apply-pattern";
    public const string PatternPrefix = "pattern:";

    /// <summary>The built-in strategies (everything except adopted <c>pattern:{id}</c> entries).</summary>
    public static IReadOnlyList<string> BaseStrategies { get; } =
        [TuneConstants, Simplify, Restructure, Reorder, Crossover, ApplyPattern];

    public static string ForPattern(string patternId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patternId);
        return PatternPrefix + patternId;
    }

    public static bool IsPattern(string strategy) =>
        strategy.StartsWith(PatternPrefix, StringComparison.Ordinal) && strategy.Length > PatternPrefix.Length;

    /// <summary>The pattern id of a <c>pattern:{id}</c> strategy, or null.</summary>
    public static string? PatternId(string strategy) => IsPattern(strategy) ? strategy[PatternPrefix.Length..] : null;

    public static bool IsValid(string strategy) =>
        BaseStrategies.Contains(strategy, StringComparer.Ordinal) || IsPattern(strategy);
}
