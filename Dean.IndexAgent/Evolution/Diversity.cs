using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Patterns;

namespace Dean.IndexAgent.Evolution;

/// <summary>An agent as the diversity metric sees it.</summary>
/// <param name="EvolvedFiles">The agent's version of every evolved file (path → text, evolve scope only).</param>
/// <param name="Lineage">The agent's own id and its ancestors' ids (used to find patterns from outside its lineage).</param>
public sealed record DiversityMember(
    string Id,
    Genome Genome,
    double Fitness,
    IReadOnlyDictionary<string, string> EvolvedFiles,
    IReadOnlyCollection<string>? Lineage = null)
{
    public IReadOnlyCollection<string> LineageOrSelf => Lineage is { Count: > 0 } ? Lineage : [Id];
}

/// <summary>The three components of the distance (each in [0,1]) and their weighted total.</summary>
public sealed record DistanceComponents(double Traits, double Strategies, double Code)
{
    public static DistanceComponents Zero { get; } = new(0, 0, 0);

    public double Total =>
        Diversity.TraitWeight * Traits + Diversity.StrategyWeight * Strategies + Diversity.CodeWeight * Code;
}

public enum DiversityRecommendation
{
    Healthy,
    Warning,
    Critical,
}

/// <summary>Population diversity with its components (each the mean pairwise component distance).</summary>
public sealed record DiversityReport(
    double Diversity,
    DistanceComponents Components,
    DiversityRecommendation Recommendation,
    double Threshold)
{
    /// <summary>The API spelling: healthy, warning, critical.</summary>
    public string RecommendationName => Evolution.Diversity.Name(Recommendation);
}

/// <summary>
/// The diversity metric of DESIGN section 6: distance = 0.4 · mean |Δtrait| + 0.4 · (1 − Jaccard(strategies))
/// + 0.2 · code distance (changed-line ratio of the evolved files); population diversity = mean pairwise distance.
/// </summary>
public static class Diversity
{
    public const double TraitWeight = 0.4;
    public const double StrategyWeight = 0.4;
    public const double CodeWeight = 0.2;
    public const double DefaultThreshold = 0.3;

    /// <summary>Jaccard similarity of two strategy sets; two empty sets are identical (1).</summary>
    public static double Jaccard(IReadOnlyCollection<string> first, IReadOnlyCollection<string> second)
    {
        var a = first.ToHashSet(StringComparer.Ordinal);
        var b = second.ToHashSet(StringComparer.Ordinal);
        var union = a.Union(b, StringComparer.Ordinal).Count();
        return union == 0 ? 1.0 : (double)a.Intersect(b, StringComparer.Ordinal).Count() / union;
    }

    /// <summary>
    /// Changed-line ratio over all evolved files: (deleted + inserted lines) / (lines in both versions), summed over
    /// the union of paths (a file only one agent has counts as entirely changed).
    /// </summary>
    public static double CodeDistance(IReadOnlyDictionary<string, string> first, IReadOnlyDictionary<string, string> second)
    {
        long changed = 0, total = 0;
        foreach (var path in first.Keys.Union(second.Keys, StringComparer.Ordinal))
        {
            var a = LineDiff.SplitLines(first.GetValueOrDefault(path, ""));
            var b = LineDiff.SplitLines(second.GetValueOrDefault(path, ""));
            total += a.Count + b.Count;
            if (!string.Equals(first.GetValueOrDefault(path), second.GetValueOrDefault(path), StringComparison.Ordinal))
                changed += LineDiff.ChangedLineCount(a, b);
        }
        return total == 0 ? 0.0 : (double)changed / total;
    }

    /// <summary>The genome part of the distance (traits and strategies) and the given code distance.</summary>
    public static DistanceComponents Components(Genome first, Genome second, double codeDistance) =>
        new(first.Traits.MeanAbsoluteDifference(second.Traits),
            1.0 - Jaccard(first.Strategies.ToArray(), second.Strategies.ToArray()),
            codeDistance);

    public static DistanceComponents Components(DiversityMember first, DiversityMember second) =>
        Components(first.Genome, second.Genome, CodeDistance(first.EvolvedFiles, second.EvolvedFiles));

    public static double Distance(DiversityMember first, DiversityMember second) => Components(first, second).Total;

    /// <summary>Pairwise code distances (symmetric, zero diagonal); computed once per step because genome mutations do not change code.</summary>
    public static double[,] CodeDistances(IReadOnlyList<DiversityMember> population)
    {
        var n = population.Count;
        var matrix = new double[n, n];
        for (var i = 0; i < n; i++)
        for (var j = i + 1; j < n; j++)
            matrix[i, j] = matrix[j, i] = CodeDistance(population[i].EvolvedFiles, population[j].EvolvedFiles);
        return matrix;
    }

    /// <summary>Population diversity and its recommendation. Fewer than two agents have no pairs: diversity 0.</summary>
    public static DiversityReport Measure(IReadOnlyList<DiversityMember> population, double threshold = DefaultThreshold) =>
        Measure(population.Select(m => m.Genome).ToArray(), CodeDistances(population), threshold);

    /// <summary>Population diversity of <paramref name="genomes"/> given precomputed pairwise code distances.</summary>
    public static DiversityReport Measure(IReadOnlyList<Genome> genomes, double[,] codeDistances, double threshold = DefaultThreshold)
    {
        var n = genomes.Count;
        double traits = 0, strategies = 0, code = 0;
        var pairs = 0;
        for (var i = 0; i < n; i++)
        for (var j = i + 1; j < n; j++)
        {
            var components = Components(genomes[i], genomes[j], codeDistances[i, j]);
            traits += components.Traits;
            strategies += components.Strategies;
            code += components.Code;
            pairs++;
        }
        var mean = pairs == 0 ? DistanceComponents.Zero : new DistanceComponents(traits / pairs, strategies / pairs, code / pairs);
        var diversity = Math.Clamp(mean.Total, 0.0, 1.0);
        return new DiversityReport(diversity, mean, Recommend(diversity, threshold), threshold);
    }

    /// <summary>healthy ≥ threshold, warning ≥ threshold / 2, critical below.</summary>
    public static DiversityRecommendation Recommend(double diversity, double threshold) =>
        diversity >= threshold ? DiversityRecommendation.Healthy
        : diversity >= threshold / 2 ? DiversityRecommendation.Warning
        : DiversityRecommendation.Critical;

    public static string Name(DiversityRecommendation recommendation) => recommendation switch
    {
        DiversityRecommendation.Healthy => "healthy",
        DiversityRecommendation.Warning => "warning",
        DiversityRecommendation.Critical => "critical",
        _ => throw new ArgumentOutOfRangeException(nameof(recommendation)),
    };
}
