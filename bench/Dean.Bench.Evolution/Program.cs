using System.Globalization;
using Dean.Bench.Evolution;

// Evolution-quality benchmark (issue 5). Two modes:
//   (default)  in memory: the objective is a C# port of the fast sample's search, scored in process, so it measures the
//              evolution logic alone (selection, CA rules, patterns, diversity) with no git, evaluator process or tokens.
//              Usage: [evaluations=400] [seeds=5] [population=8] [search_budget=400]
//   real       the real fast sample: every candidate is written into samples/function-minimization's program.py
//              (EVOLVE-BLOCK only) and scored by its own evaluator process (python3 evaluate.py).
//              Usage: real [evaluations=200] [seeds=5] [population=8]
RealSample? real = null;
if (args.Contains("--skip-known"))
{
    RandomSearch.SkipKnown = true;
    args = args.Where(a => a != "--skip-known").ToArray();
}
if (args.Length > 0 && args[0] == "real")
{
    real = new RealSample(RealSample.FindSample());
    SearchProgram.Scorer = real.Score;
    args = args.Length > 1 ? args[1..] : ["200"];
}
var evaluations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 400;
var seeds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
var populationSize = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
SearchProgram.Budget = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 400;

var started = System.Diagnostics.Stopwatch.StartNew();
if (RandomSearch.SkipKnown) Console.WriteLine("--skip-known: both searches re-draw candidates already evaluated in the run");
Console.WriteLine(real is null
    ? $"In-memory objective (C# port of the fast sample's search), {evaluations} evaluations, {seeds} seeds, population {populationSize}, search budget {SearchProgram.Budget}"
    : $"Real fast sample (samples/function-minimization, python3 evaluate.py per candidate), {evaluations} evaluations, {seeds} seeds, population {populationSize}");
Console.WriteLine($"Starting score {SearchProgram.Score(SearchProgram.Start):F6}");
Console.WriteLine("seed  random_best  evolution_best  evolution_evals_to_reach_random_best");

var randomBests = new List<double>();
var evolutionBests = new List<double>();
var evaluationsToMatch = new List<double>();
for (var seed = 1; seed <= seeds; seed++)
{
    var random = RandomSearch.Run(evaluations, seed);
    var evolution = PopulationEvolution.Run(evaluations, seed, populationSize);
    var needed = evolution.EvaluationsToReach(random.FinalBest);
    randomBests.Add(random.FinalBest);
    evolutionBests.Add(evolution.FinalBest);
    evaluationsToMatch.Add(needed ?? double.PositiveInfinity);
    Console.WriteLine($"{seed,4}  {random.FinalBest,11:F6}  {evolution.FinalBest,14:F6}  {(needed is { } n ? n.ToString(CultureInfo.InvariantCulture) : "not reached"),10}");
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

var medianNeeded = Median(evaluationsToMatch);
Console.WriteLine($"median best: random {Median(randomBests):F6}, evolution {Median(evolutionBests):F6}");
Console.WriteLine($"median evaluations for evolution to reach random search's final best: {medianNeeded} of {evaluations} " +
    $"({(medianNeeded <= evaluations / 2.0 ? "meets" : "misses")} the goal of at most half)");

Console.WriteLine("evolution edits (proposed, accepted, duplicate of an evaluated program):");
foreach (var (kind, counts) in PopulationEvolution.Kinds.OrderBy(k => k.Key, StringComparer.Ordinal))
    Console.WriteLine($"  {kind}: {counts}");
if (real is not null)
{
    Console.WriteLine($"evaluator processes run: {real.EvaluatorRuns} (identical programs scored once), wall time {started.Elapsed.TotalSeconds:F0} s");
    real.Dispose();
}
