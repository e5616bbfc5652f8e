using System.Globalization;
using Dean.IndexAgent.Patterns;

namespace Dean.Bench.Evolution;

/// <summary>
/// The in-memory objective: a "program" of named constants (the same knobs as the evolve block of the fast sample's
/// search) that steer a stochastic search for the minimum of the sample's bumpy 2-D function. Score = −(mean best value
/// over fixed seeds), as the sample's evaluator computes it. Everything runs in process: no git, no Python.
/// </summary>
public static class SearchProgram
{
    public const string Start = """
        step = 2.0
        shrink = 0.999
        restart_every = 1000
        restart_range = 5.0
        """;

    private static readonly int[] Seeds = [11, 23, 37, 41, 53, 67, 79, 83];
    /// <summary>Objective evaluations per search run; 400 is the fast sample's budget.</summary>
    public static int Budget { get; set; } = 400;

    /// <summary>The objective both searches are scored by: the in-memory port (default) or the real sample's evaluator.</summary>
    public static Func<string, double?> Scorer { get; set; } = InMemoryScore;

    public static double? Score(string program) => Scorer(program);

    /// <summary>The program's constants (name → value), or null when a line is not <c>name = number</c>.</summary>
    public static Dictionary<string, double>? Constants(string program)
    {
        var constants = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in LineDiff.SplitLines(program))
        {
            var tokens = CodeTokenizer.Tokenize(line);
            if (tokens.Count == 0) continue;
            if (tokens.Count != 3 || tokens[0].Kind != TokenKind.Word || tokens[1].Text != "=" || tokens[2].Kind != TokenKind.Number)
                return null;
            if (!double.TryParse(tokens[2].Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return null;
            constants[tokens[0].Text] = value;
        }
        return constants.ContainsKey("step") && constants.ContainsKey("shrink")
               && constants.ContainsKey("restart_every") && constants.ContainsKey("restart_range") ? constants : null;
    }

    /// <summary>The in-memory score of a program, or null when it does not parse or has values the search cannot use.</summary>
    public static double? InMemoryScore(string program)
    {
        if (Constants(program) is not { } constants) return null;
        if (!constants.TryGetValue("step", out var step) || !constants.TryGetValue("shrink", out var shrink)
            || !constants.TryGetValue("restart_every", out var restartEvery) || !constants.TryGetValue("restart_range", out var range))
            return null;
        if (step <= 0 || shrink is <= 0 or > 1.5 || restartEvery < 1 || range <= 0 || range > 1e6) return null;

        var total = 0.0;
        foreach (var seed in Seeds)
            total += Search(seed, step, shrink, (int)Math.Round(restartEvery), range);
        return -total / Seeds.Length;
    }

    private static double Objective(double x, double y) => Math.Sin(x) * Math.Cos(y) + Math.Sin(x * y) + (x * x + y * y) / 20;

    private static double Search(int seed, double step, double shrink, int restartEvery, double range)
    {
        var random = new Random(seed);
        double Uniform() => -range + 2 * range * random.NextDouble();
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        double bestX = Uniform(), bestY = Uniform();
        var best = Objective(bestX, bestY);
        for (var i = 1; i < Budget; i++)
        {
            double x, y;
            if (i % restartEvery == 0) { x = Uniform(); y = Uniform(); }
            else { x = bestX + step * Gauss(); y = bestY + step * Gauss(); }
            var value = Objective(x, y);
            if (value < best) (bestX, bestY, best) = (x, y, value);
            step *= shrink;
        }
        return best;
    }
}
