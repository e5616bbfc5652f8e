using System.Globalization;

namespace Dean.Bench.Evolution;

/// <summary>The figures of one target: per method the median best/initial and the gate's share; how fast the population reaches each baseline.</summary>
public static class Report
{
    internal static void Print(string target, double start, Options options, IReadOnlyDictionary<(int Seed, string Method), Run> runs)
    {
        var seeds = Enumerable.Range(1, options.Seeds).ToList();
        Console.WriteLine("| method | best/initial per seed | median best/initial | evaluations to reach random's final best (median) | to reach hill climb's final best (median) | stopped by the gate |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var method in options.Methods)
        {
            var ratios = seeds.Select(s => runs[(s, method)].Best / start).ToList();
            string Reach(string baseline) => method == baseline || !options.Methods.Contains(baseline) ? "–" : Needed(seeds.Select(s => runs[(s, method)].EvaluationsToReach(runs[(s, baseline)].Best)).ToList(), options.Evaluations);
            var proposed = seeds.Sum(s => runs[(s, method)].Proposed);
            var gated = seeds.Sum(s => runs[(s, method)].CheckFailed);
            Console.WriteLine($"| {method} | {string.Join(", ", ratios.Select(r => r.ToString("F4", CultureInfo.InvariantCulture)))} | **{Median(ratios):F4}** | " +
                              $"{Reach(Methods.Random)} | {Reach(Methods.HillClimb)} | {gated}/{proposed} ({(proposed == 0 ? 0 : 100.0 * gated / proposed):F1}%) |");
        }

        Console.WriteLine("edit kinds (all seeds): kind proposed/check_failed/evaluated/accepted/new best of the run");
        foreach (var method in options.Methods)
        {
            var kinds = seeds.SelectMany(s => runs[(s, method)].Kinds).GroupBy(k => k.Key).OrderBy(g => g.Key, StringComparer.Ordinal);
            Console.WriteLine($"  {method}: " + string.Join("; ", kinds.Select(g =>
                $"{g.Key} {g.Sum(k => k.Value.Proposed)}/{g.Sum(k => k.Value.CheckFailed)}/{g.Sum(k => k.Value.Evaluated)}/{g.Sum(k => k.Value.Accepted)}/{g.Sum(k => k.Value.NewBest)}")));
        }
        if (Methods.All.Any(m => !options.Methods.Contains(m))) return;
        var population = seeds.Select(s => runs[(s, Methods.Population)].Best).ToList();
        var climb = seeds.Select(s => runs[(s, Methods.HillClimb)].Best).ToList();
        var random = seeds.Select(s => runs[(s, Methods.Random)].Best).ToList();
        var toClimb = seeds.Select(s => runs[(s, Methods.Population)].EvaluationsToReach(runs[(s, Methods.HillClimb)].Best) is { } n ? n : double.PositiveInfinity).ToList();
        Console.WriteLine($"goal 1 (median best beats both baselines): {(Median(population) > Median(climb) && Median(population) > Median(random) ? "met" : "missed")}; " +
                          $"goal 2 (hill climb's final best within {options.Evaluations / 2} evaluations, median): {(Median(toClimb) <= options.Evaluations / 2.0 ? "met" : "missed")}");

    }

    private static string Needed(IReadOnlyList<int?> perSeed, int budget)
    {
        var values = perSeed.Select(n => n is { } v ? (double)v : double.PositiveInfinity).ToList();
        var median = Median(values);
        return $"{string.Join(", ", perSeed.Select(n => n?.ToString(CultureInfo.InvariantCulture) ?? "–"))} ({(double.IsPositiveInfinity(median) ? $"not within {budget}" : median.ToString(CultureInfo.InvariantCulture))})";
    }

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
