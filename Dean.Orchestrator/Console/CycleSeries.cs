using System.Globalization;

namespace Dean.Orchestrator.OperatorConsole;

/// <summary>One point of a chart: a generation and its value (null when the generation has none, e.g. nothing was scored).</summary>
public sealed record ChartPoint(int Generation, double? Value);

/// <summary>One line of a chart; <paramref name="Key"/> names it in the markup and picks its colour.</summary>
public sealed record ChartSeries(string Key, string Label, IReadOnlyList<ChartPoint> Points);

/// <summary>The series the cycle page draws, from the completed generations of a cycle. No I/O: the page feeds it the store's rows.</summary>
public static class CycleSeries
{
    public static ChartSeries Best(IReadOnlyList<GenerationResponse> generations) =>
        new("best", "best", generations.Select(g => new ChartPoint(g.Generation, g.BestScore)).ToList());

    public static ChartSeries Mean(IReadOnlyList<GenerationResponse> generations) =>
        new("mean", "mean", generations.Select(g => new ChartPoint(g.Generation, g.MeanScore)).ToList());

    /// <summary>The highest best score up to each generation; null until a generation has a score.</summary>
    public static ChartSeries BestSoFar(IReadOnlyList<GenerationResponse> generations)
    {
        double? highest = null;
        var points = new List<ChartPoint>(generations.Count);
        foreach (var g in generations.OrderBy(g => g.Generation))
        {
            if (g.BestScore is { } score && (highest is null || score > highest)) highest = score;
            points.Add(new ChartPoint(g.Generation, highest));
        }
        return new ChartSeries("best-so-far", "best so far", points);
    }

    public static ChartSeries Diversity(IReadOnlyList<GenerationResponse> generations) =>
        new("diversity", "diversity", generations.Select(g => new ChartPoint(g.Generation, g.Diversity)).ToList());

    public static ChartSeries Tokens(IReadOnlyList<GenerationResponse> generations) =>
        new("tokens", "tokens", generations.Select(g => new ChartPoint(g.Generation, g.Tokens)).ToList());

    /// <summary>
    /// One line per CA rule: the cycle's rules, and any other that fired, by rule number; a generation where a rule did
    /// not fire counts 0 for it.
    /// </summary>
    public static IReadOnlyList<ChartSeries> RuleFirings(IReadOnlyList<GenerationResponse> generations, IReadOnlyList<int> rules)
    {
        var ordered = generations.OrderBy(g => g.Generation).ToList();
        return rules.Select(r => r.ToString(CultureInfo.InvariantCulture))
            .Concat(ordered.SelectMany(g => g.CaRulesFired.Keys))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(rule => int.TryParse(rule, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue).ThenBy(rule => rule, StringComparer.Ordinal)
            .Select(rule => new ChartSeries($"rule-{rule}", $"rule {rule}",
                ordered.Select(g => new ChartPoint(g.Generation, g.CaRulesFired.GetValueOrDefault(rule))).ToList()))
            .ToList();
    }

    public static IReadOnlyList<ChartSeries> Scores(IReadOnlyList<GenerationResponse> generations) =>
        [Best(generations), Mean(generations), BestSoFar(generations)];
}

/// <summary>
/// Where the points of a chart go in an SVG of <see cref="Width"/> × <see cref="Height"/> units: generations left to
/// right, values bottom to top, over the range of every value drawn (the threshold line included, so it is always inside).
/// </summary>
public sealed class ChartGeometry
{
    public const double Width = 600, Height = 200, Margin = 8;

    public double MinValue { get; }
    public double MaxValue { get; }
    public int FirstGeneration { get; }

    /// <summary>The last generation drawn; at least one after the first, so a single generation has room.</summary>
    public int LastGeneration { get; }

    public ChartGeometry(IReadOnlyList<ChartSeries> series, double? threshold)
    {
        var values = series.SelectMany(s => s.Points).Where(p => p.Value is not null).Select(p => p.Value!.Value)
            .Concat(threshold is { } t ? [t] : []).ToList();
        MinValue = values.Count == 0 ? 0 : values.Min();
        MaxValue = values.Count == 0 ? 1 : values.Max();
        // A flat line still needs a range to sit in the middle of.
        if (MaxValue - MinValue < 1e-12) (MinValue, MaxValue) = (MinValue - 0.5, MaxValue + 0.5);
        var generations = series.SelectMany(s => s.Points).Select(p => p.Generation).ToList();
        FirstGeneration = generations.Count == 0 ? 0 : generations.Min();
        LastGeneration = generations.Count == 0 ? 1 : Math.Max(generations.Max(), FirstGeneration + 1);
    }

    public double X(int generation) => Margin + (generation - FirstGeneration) * (Width - 2 * Margin) / (LastGeneration - FirstGeneration);

    public double Y(double value) => Height - Margin - (value - MinValue) * (Height - 2 * Margin) / (MaxValue - MinValue);

    /// <summary>Where a series' points go; generations without a value are left out.</summary>
    public IEnumerable<(double X, double Y)> Positions(ChartSeries series) =>
        series.Points.Where(p => p.Value is not null).Select(p => (X(p.Generation), Y(p.Value!.Value)));

    /// <summary>The SVG polyline points of a series.</summary>
    public string Polyline(ChartSeries series) =>
        string.Join(' ', Positions(series).Select(p => FormattableString.Invariant($"{p.X:0.#},{p.Y:0.#}")));
}
