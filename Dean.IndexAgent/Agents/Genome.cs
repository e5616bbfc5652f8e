namespace Dean.IndexAgent.Agents;

/// <summary>Numbers in [0,1] that steer how an agent edits (DESIGN section 3).</summary>
public sealed record Traits(double Exploration, double Creativity, double Efficiency, double Risk)
{
    public static readonly Traits Balanced = new(0.5, 0.5, 0.5, 0.5);
}

public sealed record Genome(Traits Traits, IReadOnlyList<string> Strategies, double MutationRate)
{
    public const string TuneConstants = "tune-constants";
    public const string Simplify = "simplify";
    public const string Restructure = "restructure";
    public const string Reorder = "reorder";
    public const string Crossover = "crossover";
    public const string ApplyPattern = "apply-pattern";
    public const string PatternPrefix = "pattern:";

    public static readonly string[] Vocabulary = [TuneConstants, Simplify, Restructure, Reorder, Crossover, ApplyPattern];
    public const double MinMutationRate = 0.05;
    public const double MaxMutationRate = 0.3;

    public static Genome Default { get; } = new(Traits.Balanced, Vocabulary, 0.1);

    public static bool IsKnownStrategy(string strategy) =>
        Vocabulary.Contains(strategy, StringComparer.Ordinal)
        || (strategy.StartsWith(PatternPrefix, StringComparison.Ordinal) && strategy.Length > PatternPrefix.Length);

    /// <summary>Field → problem for every invalid part (empty when valid); field names as in the API.</summary>
    public Dictionary<string, string[]> Validate(string prefix = "genome")
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
        if (double.IsNaN(MutationRate) || MutationRate < MinMutationRate || MutationRate > MaxMutationRate)
            errors[$"{prefix}.mutation_rate"] = [$"mutation_rate must be within [{MinMutationRate}, {MaxMutationRate}]"];
        return errors;
    }
}
