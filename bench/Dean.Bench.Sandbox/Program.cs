using System.Diagnostics;
using System.Globalization;
using Dean.IndexAgent.Evaluation;
using Dean.IndexAgent.Targets;

// Evaluation overhead of the sandbox (issue 12): the fast sample's evaluator run through the IndexAgent's own
// ProcessRunner, sandboxed (bubblewrap: worktree copy, slot uid, namespaces, the slot's processes ended) against not
// (SandboxMode.None), alternating, N runs each. Reports median, min and max wall time per run.
//
//   dotnet run -c Release --project bench/Dean.Bench.Sandbox -- [runs=50] [target=samples/function-minimization]
var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
var target = Path.GetFullPath(args.Length > 1 ? args[1] : Path.Combine(Dean.Bench.BenchRepository.Root("the target directory"), "samples", "function-minimization"));
var task = TaskFile.Parse(File.ReadAllText(Path.Combine(target, TaskFile.FileName)), out var errors)
           ?? throw new InvalidOperationException(string.Join("; ", errors.SelectMany(e => e.Value)));
if (!ProcessRunner.SandboxAvailable) throw new InvalidOperationException(ProcessRunner.Refusal(SandboxMode.Bubblewrap, false));

var times = new Dictionary<SandboxMode, List<double>> { [SandboxMode.Bubblewrap] = [], [SandboxMode.None] = [] };
for (var run = 0; run < runs; run++)
{
    foreach (var mode in run % 2 == 0 ? new[] { SandboxMode.Bubblewrap, SandboxMode.None } : [SandboxMode.None, SandboxMode.Bubblewrap])
    {
        var stopwatch = Stopwatch.StartNew();
        var outcome = await ProcessRunner.RunAsync(target, task.Command, TimeSpan.FromSeconds(task.TimeoutSeconds), 65536, CancellationToken.None, task.Rules, mode);
        stopwatch.Stop();
        var verdict = EvaluationVerdict.FromProcess(outcome, task.Score);
        if (!verdict.Passed) throw new InvalidOperationException($"{mode}: {verdict.Reason}");
        times[mode].Add(stopwatch.Elapsed.TotalSeconds);
    }
    Console.Error.Write($"\r{run + 1}/{runs}");
}
Console.Error.WriteLine();
Console.WriteLine($"{task.Name}, {runs} runs each (alternating)");
foreach (var (mode, seconds) in times)
{
    var sorted = seconds.Order().ToArray();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode,-11} median {sorted[sorted.Length / 2]:F4} s  min {sorted[0]:F4} s  max {sorted[^1]:F4} s"));
}
var ratio = times[SandboxMode.Bubblewrap].Order().ElementAt(runs / 2) / times[SandboxMode.None].Order().ElementAt(runs / 2);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sandboxed / unisolated median: {ratio:F3}"));
