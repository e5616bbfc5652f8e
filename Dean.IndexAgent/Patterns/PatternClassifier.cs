namespace Dean.IndexAgent.Patterns;

public static class PatternTypes
{
    public const string Optimization = "optimization";
    public const string Structural = "structural";
    public const string Behavioral = "behavioral";
    public const string Emergent = "emergent";

    public static IReadOnlyList<string> All { get; } = [Optimization, Structural, Behavioral, Emergent];
}

/// <summary>What is known about an accepted change when it becomes a pattern.</summary>
/// <param name="FoundByCrossover">The candidate came from a crossover (line-level crossover edit or a rule-184 crossover agent).</param>
/// <param name="MetricsBefore">The evaluator's metrics of the agent's previous commit, if known.</param>
/// <param name="MetricsAfter">The evaluator's metrics of the accepted candidate.</param>
public sealed record PatternEvidence(
    NormalizedDiff Diff,
    bool FoundByCrossover = false,
    IReadOnlyDictionary<string, double>? MetricsBefore = null,
    IReadOnlyDictionary<string, double>? MetricsAfter = null);

/// <summary>
/// The pattern type of DESIGN section 7, decided in this order:
/// <c>emergent</c> when found by crossover; <c>optimization</c> when a performance metric improved (a metric whose name
/// says time, latency, duration, memory, allocations or CPU went down, or throughput, ops or speed went up);
/// <c>structural</c> when code was moved or restructured (lines added, removed or moved, or a line's token structure
/// changed beyond literals and operators); otherwise <c>behavioral</c>: the same structure with different values or
/// operators, the regularity a strategy such as tune-constants or an operator swap produces.
/// </summary>
public static class PatternClassifier
{
    private static readonly string[] LowerIsBetter = ["time", "latency", "duration", "elapsed", "runtime", "ms", "memory", "alloc", "bytes", "cpu"];
    private static readonly string[] HigherIsBetter = ["throughput", "ops", "speed", "rate_per", "per_second", "qps", "rps"];

    public static string Classify(PatternEvidence evidence)
    {
        if (evidence.FoundByCrossover) return PatternTypes.Emergent;
        if (PerformanceImproved(evidence.MetricsBefore, evidence.MetricsAfter)) return PatternTypes.Optimization;
        if (IsStructural(evidence.Diff)) return PatternTypes.Structural;
        return PatternTypes.Behavioral;
    }

    /// <summary>Whether any performance metric present before and after moved in its good direction.</summary>
    public static bool PerformanceImproved(IReadOnlyDictionary<string, double>? before, IReadOnlyDictionary<string, double>? after)
    {
        if (before is null || after is null) return false;
        foreach (var (name, oldValue) in before)
        {
            if (!after.TryGetValue(name, out var newValue) || !double.IsFinite(oldValue) || !double.IsFinite(newValue)) continue;
            var words = name.ToLowerInvariant();
            if (HigherIsBetter.Any(w => NameHasWord(words, w)) && newValue > oldValue) return true;
            if (LowerIsBetter.Any(w => NameHasWord(words, w)) && newValue < oldValue) return true;
        }
        return false;
    }

    /// <summary>Lines added, removed or moved, or a changed line whose tokens differ in more than literals and operators.</summary>
    public static bool IsStructural(NormalizedDiff diff)
    {
        foreach (var hunk in diff.Hunks)
        {
            if (hunk.Removed.Count != hunk.Added.Count) return true;
            for (var i = 0; i < hunk.Removed.Count; i++)
            {
                var before = hunk.Removed[i].Tokens;
                var after = hunk.Added[i].Tokens;
                if (before.Count != after.Count) return true;
                for (var t = 0; t < before.Count; t++)
                {
                    var same = before[t].IsLiteral && after[t].IsLiteral
                        || before[t].Kind == TokenKind.Symbol && after[t].Kind == TokenKind.Symbol
                        || before[t].Kind == after[t].Kind && before[t].Text == after[t].Text;
                    if (!same) return true;
                }
            }
        }
        return false;
    }

    // Short words such as "ms" must be a whole word of a snake/camel/kebab name, so "items" is not a timing.
    private static bool NameHasWord(string name, string word) =>
        word.Length > 3 ? name.Contains(word, StringComparison.Ordinal)
        : name.Split('_', '-', '.', ' ').Any(part => part == word);
}
