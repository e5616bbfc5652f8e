using System.Globalization;
using Dean.Bench.Evolution;
using Dean.IndexAgent.Evolution;

// Evolution-quality benchmark (issue 11): the product's builtin operator, step core (CandidateTrial: propose, validity
// gate, real evaluator process), search adaptation and population step (PopulationRuleEngine, stagnation answers,
// DiversityDefence), against random search and a (1+1) hill climb with the same operator, at equal evaluation counts.
//
//   dotnet run -c Release --project bench/Dean.Bench.Evolution -- [--evaluations 200] [--seeds 5] [--population 6]
//       [--parallel 2] [--target DIR]... [--method random|hill-climb|population]...        (default targets: the three samples no one tuned the search for)
var options = Options.Parse(args);
var root = Path.Combine(Path.GetTempPath(), $"dean-bench-evolution-{Environment.ProcessId}");
using var product = new ProductServices(options.Parallel);
var started = System.Diagnostics.Stopwatch.StartNew();
Console.WriteLine($"{options.Evaluations} evaluations per run, {options.Seeds} seeds, population {options.Population}, {options.Parallel} runs at once");

try
{
    foreach (var directory in options.Targets)
    {
        var target = Target.Load(directory);
        var probe = new Run(product, target, Path.Combine(root, target.Name, "start"), 0);
        var start = await probe.ScoreAsync(target.Directory);
        var limits = PopulationLimits.For(options.Population, explicitList: false, 3, 50);
        Console.WriteLine();
        Console.WriteLine($"== {target.Name} (start {start:G6}; population bounds [{limits.MinPopulation}, {limits.MaxPopulation}])");

        var jobs = Enumerable.Range(1, options.Seeds).SelectMany(seed => options.Methods.Select(method => (seed, method))).ToList();
        var runs = new System.Collections.Concurrent.ConcurrentDictionary<(int, string), Run>();
        var done = 0;
        await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = options.Parallel }, async (job, _) =>
        {
            var run = new Run(product, target, Path.Combine(root, target.Name, $"{job.method}-{job.seed}"), options.Evaluations);
            run.Start(start);
            switch (job.method)
            {
                case Methods.Random: await Methods.RandomSearchAsync(run, job.seed, start); break;
                case Methods.HillClimb: await Methods.HillClimbAsync(run, job.seed, start); break;
                default: await Methods.PopulationAsync(run, job.seed, start, options.Population, limits); break;
            }
            runs[(job.seed, job.method)] = run;
            Directory.Delete(run.Root, recursive: true);
            Console.Error.WriteLine($"  [{Interlocked.Increment(ref done)}/{jobs.Count}] {target.Name} {job.method} seed {job.seed}: best {run.Best:G6} after {run.Evaluations} evaluations ({started.Elapsed.TotalSeconds:F0} s)");
        });
        Report.Print(target.Name, start, options, runs);
    }
}
finally
{
    if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
}
Console.WriteLine();
Console.WriteLine($"total {started.Elapsed.TotalSeconds:F0} s");

internal sealed record Options(int Evaluations, int Seeds, int Population, int Parallel, IReadOnlyList<string> Targets, IReadOnlyList<string> Methods)
{
    public static Options Parse(string[] args)
    {
        int evaluations = 200, seeds = 5, population = 6, parallel = Math.Max(1, Environment.ProcessorCount);
        var targets = new List<string>();
        var methods = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--evaluations": evaluations = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seeds": seeds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--population": population = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--parallel": parallel = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--target": targets.Add(value); break;
                case "--method" when Dean.Bench.Evolution.Methods.All.Contains(value): methods.Add(value); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
            i++;
        }
        if (targets.Count == 0)
        {
            var samples = Path.Combine(Dean.Bench.BenchRepository.Root("--target DIR"), "samples");
            targets.AddRange(new[] { "rastrigin-minimization", "circle-packing", "bin-packing" }.Select(s => Path.Combine(samples, s)));
        }
        return new Options(evaluations, seeds, population, parallel, targets, methods.Count == 0 ? Dean.Bench.Evolution.Methods.All : methods);
    }
}
