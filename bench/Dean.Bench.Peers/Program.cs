using System.Diagnostics;
using System.Globalization;
using Dean.IndexAgent;
using Dean.IndexAgent.Evaluation;
using Dean.IndexAgent.Targets;
using Dean.ServiceDefaults.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Peer task formats (issue 14), through the IndexAgent's own code: PeerTask.Detect reads the task as registration
// does, and the IndexAgent's EvaluationRunner runs it in the service's sandbox.
//  1. Runner overhead per format: the candidate scored through DEAN's peer runner (PeerRunner.Command) against the
//     same evaluator called directly with the same interpreter, sandbox and shims, alternating, N runs each.
//  2. What a stage-1 rejection saves: an OpenEvolve cascade whose stage 2 is slow, scored for a program that stage 1
//     rejects and for one that passes it.
//
//   PATH=/usr/bin:$PATH dotnet run -c Release --project bench/Dean.Bench.Peers -- [runs=50]
var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
var root = Dean.Bench.BenchRepository.Root();
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.Services.AddMetrics();
builder.Services.AddSingleton<DeanMeters>();
builder.Services.AddSingleton<IndexAgentMetrics>();
builder.AddWorkspaceAndEvaluation();
using var services = builder.Services.BuildServiceProvider();
var evaluator = services.GetRequiredService<EvaluationRunner>();
// The direct calls run in the same sandbox as the runner's evaluations.
var sandbox = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<IndexAgentOptions>>().Value.Sandbox;
Console.WriteLine($"{runs} runs each, sandbox {sandbox}");

var shims = Path.Combine(PeerRunner.Directory, "shims");
var direct = new Dictionary<string, string>
{
    // What a peer's own loop does: import the evaluator and call evaluate(program_path).
    ["openevolve"] = $"PYTHONPATH='{shims}' python3 -c \"import evaluator; evaluator.evaluate('initial_program.py')\"",
    ["shinka"] = $"mkdir -p direct-results && PYTHONPATH='{shims}' python3 evaluate.py --program_path initial.py --results_dir direct-results",
};
foreach (var (format, directCommand) in direct)
{
    var directory = Path.Combine(root, "Dean.Tests", "PeerTasks", format);
    var task = PeerTask.Detect(directory, format, out var errors) ?? throw new InvalidOperationException(string.Join("; ", errors.SelectMany(e => e.Value)));
    var times = new Dictionary<string, List<double>> { ["runner"] = [], ["direct"] = [] };
    for (var run = 0; run < runs; run++)
    {
        foreach (var way in run % 2 == 0 ? new[] { "runner", "direct" } : ["direct", "runner"])
        {
            var stopwatch = Stopwatch.StartNew();
            if (way == "runner")
            {
                var verdict = await evaluator.EvaluateAsync(directory, task with { Cascade = false }, CancellationToken.None);
                if (!verdict.Passed) throw new InvalidOperationException($"{format} through the runner: {verdict.Reason}");
            }
            else
            {
                var outcome = await ProcessRunner.RunAsync(directory, directCommand, TimeSpan.FromSeconds(task.TimeoutSeconds), 65536, CancellationToken.None, task.Rules, sandbox);
                if (outcome.ExitCode != 0) throw new InvalidOperationException($"{format} called directly: exit {outcome.ExitCode}: {outcome.Stderr}");
            }
            times[way].Add(stopwatch.Elapsed.TotalSeconds);
        }
        Console.Error.Write($"\r{format} {run + 1}/{runs}");
    }
    Console.Error.WriteLine();
    var runner = Median(times["runner"]);
    var called = Median(times["direct"]);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{format,-10} runner median {runner:F4} s (min {times["runner"].Min():F4}, max {times["runner"].Max():F4}); direct median {called:F4} s (min {times["direct"].Min():F4}, max {times["direct"].Max():F4}); overhead {1000 * (runner - called):F1} ms"));
}

// The cascade: stage 1 is a cheap check of the answer's sign, stage 2 an expensive scoring (a fixed second of work).
var cascade = Path.Combine(Path.GetTempPath(), $"dean-bench-peers-{Environment.ProcessId}");
Directory.CreateDirectory(cascade);
try
{
    File.WriteAllText(Path.Combine(cascade, "evaluator.py"), """
        import importlib.util
        import time


        def _value(program_path):
            spec = importlib.util.spec_from_file_location("candidate", program_path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module.value()


        def evaluate_stage1(program_path):
            return {"combined_score": 1.0 if _value(program_path) > 0 else 0.0}


        def evaluate_stage2(program_path):
            time.sleep(1.0)
            return {"combined_score": 1.0 / (1.0 + abs(_value(program_path) - 2.0))}


        def evaluate(program_path):
            return evaluate_stage2(program_path)
        """);
    var task = PeerTask.Detect(WithProgram(cascade, 1.5), "cascade", out var errors) ?? throw new InvalidOperationException(string.Join("; ", errors.SelectMany(e => e.Value)));
    var reached = new Dictionary<string, List<double>> { ["rejected at stage 1"] = [], ["passed stage 1"] = [] };
    for (var run = 0; run < Math.Max(5, runs / 5); run++)
    {
        foreach (var (label, value) in new[] { ("rejected at stage 1", -1.0), ("passed stage 1", 1.5) })
        {
            WithProgram(cascade, value);
            var verdict = await evaluator.EvaluateAsync(cascade, task, CancellationToken.None);
            var expected = value < 0 ? 1 : 2;
            if (verdict.Stages is not { } stages || stages.Count != expected)
                throw new InvalidOperationException($"{label}: reached {verdict.Stages?.Count} stages ({verdict.Reason})");
            reached[label].Add(verdict.DurationMs / 1000.0);
        }
    }
    var stopped = Median(reached["rejected at stage 1"]);
    var full = Median(reached["passed stage 1"]);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"cascade    rejected at stage 1: median {stopped:F4} s; passed stage 1 (stage 2 runs): median {full:F4} s; a stage-1 rejection saves {full - stopped:F3} s ({100 * (1 - stopped / full):F0}%)"));
}
finally
{
    Directory.Delete(cascade, recursive: true);
}

static string WithProgram(string directory, double value)
{
    File.WriteAllText(Path.Combine(directory, "initial_program.py"),
        $"# EVOLVE-BLOCK-START\ndef value():\n    return {value.ToString("R", CultureInfo.InvariantCulture)}\n# EVOLVE-BLOCK-END\n");
    return directory;
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
