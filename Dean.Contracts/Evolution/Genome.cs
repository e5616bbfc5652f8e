using Dean.Contracts.Economy;

namespace Dean.Contracts.Evolution;

/// <summary>Numbers in [0,1] that steer how an agent edits (DESIGN section 3).</summary>
public sealed record Traits(double Exploration, double Creativity, double Efficiency, double Risk)
{
    public static readonly Traits Balanced = new(0.5, 0.5, 0.5, 0.5);
}

/// <param name="StrategyWeights">
/// Learned per-target preference of each strategy (credit assignment, the IndexAgent's search adaptation): a
/// multiplier of the strategy's trait weight; missing strategies weigh 1.
/// </param>
/// <param name="StepScale">The agent's perturbation spread multiplier in [<see cref="MinStepScale"/>, <see cref="MaxStepScale"/>], adapted to its success rate.</param>
public sealed record Genome(Traits Traits, IReadOnlyList<string> Strategies, double MutationRate,
    IReadOnlyDictionary<string, double>? StrategyWeights = null, double StepScale = 1.0)
{
    public const string TuneConstants = "tune-constants";
    public const string Simplify = "simplify";
    public const string Restructure = "restructure";
    public const string Reorder = "reorder";
    public const string Crossover = "crossover";
    public const string ApplyPattern = "apply-pattern";
    public const string PatternPrefix = "pattern:";

    public static readonly string[] Vocabulary = [TuneConstants, Simplify, Restructure, Reorder, Crossover, ApplyPattern];
    public const double MinStepScale = 0.25;
    public const double MaxStepScale = 4.0;
    public const double MinStrategyWeight = 0.1;
    public const double MaxStrategyWeight = 10.0;

    public static Genome Default { get; } = new(Traits.Balanced, Vocabulary, 0.1);

    public static bool IsKnownStrategy(string strategy) =>
        Vocabulary.Contains(strategy, StringComparer.Ordinal)
        || (strategy.StartsWith(PatternPrefix, StringComparison.Ordinal) && strategy.Length > PatternPrefix.Length);

    /// <summary>The learned weight of a strategy (<c>pattern:{id}</c> strategies share <c>apply-pattern</c>'s).</summary>
    public double WeightOf(string strategy) =>
        StrategyWeights is { } weights && weights.TryGetValue(strategy.StartsWith(PatternPrefix, StringComparison.Ordinal) ? ApplyPattern : strategy, out var w) ? w : 1.0;

    /// <summary>Field → problem for every invalid part (empty when valid); field names as in the API.</summary>
    /// <param name="mutationRates">the constraint <c>mutation_rate_range</c> as the Economy holds it now</param>
    public Dictionary<string, string[]> Validate(MutationRateRange mutationRates, string prefix = "genome")
    {
        var errors = new Dictionary<string, string[]>();
        if (Traits is null)
        {
            errors[$"{prefix}.traits"] = ["traits are required"];
        }
        else
        {
            foreach (var (name, value) in new[] { ("exploration", Traits.Exploration), ("creativity", Traits.Creativity), ("efficiency", Traits.Efficiency), ("risk", Traits.Risk) })
                if (double.IsNaN(value) || value < 0 || value > 1) errors[$"{prefix}.traits.{name}"] = [$"{name} must be within [0, 1]"];
        }
        if (Strategies is null || Strategies.Count == 0)
            errors[$"{prefix}.strategies"] = ["at least one strategy is required"];
        else if (Strategies.Any(s => s is null || !IsKnownStrategy(s)))
            errors[$"{prefix}.strategies"] = [$"unknown strategy '{Strategies.First(s => s is null || !IsKnownStrategy(s))}'; known: {string.Join(", ", Vocabulary)}, pattern:{{id}}"];
        if (double.IsNaN(MutationRate) || !mutationRates.Contains(MutationRate))
            errors[$"{prefix}.mutation_rate"] = [$"mutation_rate must be within [{mutationRates.Min}, {mutationRates.Max}] (the constraint mutation_rate_range)"];
        if (double.IsNaN(StepScale) || StepScale < MinStepScale || StepScale > MaxStepScale)
            errors[$"{prefix}.step_scale"] = [$"step_scale must be within [{MinStepScale}, {MaxStepScale}]"];
        if (StrategyWeights?.FirstOrDefault(w => !Vocabulary.Contains(w.Key, StringComparer.Ordinal) || double.IsNaN(w.Value) || w.Value < MinStrategyWeight || w.Value > MaxStrategyWeight) is { Key: not null } bad)
            errors[$"{prefix}.strategy_weights"] = [$"strategy_weights: '{bad.Key}' must be a strategy of the vocabulary with a weight within [{MinStrategyWeight}, {MaxStrategyWeight}]"];
        return errors;
    }
}

/// <summary>The inclusive range a genome's mutation rate must lie in (constraint <c>mutation_rate_range</c>).</summary>
public readonly record struct MutationRateRange(double Min, double Max)
{
    public static MutationRateRange Default { get; } = Of(EvolutionConstraints.Defaults);

    public static MutationRateRange Of(EvolutionConstraints constraints) => new(constraints.MutationRateRange[0], constraints.MutationRateRange[1]);

    public double Clamp(double rate) => Math.Clamp(rate, Min, Max);

    public bool Contains(double rate) => rate >= Min && rate <= Max;
}
