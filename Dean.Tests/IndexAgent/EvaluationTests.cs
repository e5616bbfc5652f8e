using System.Diagnostics;
using Dean.IndexAgent;
using Dean.IndexAgent.Evaluation;
using Dean.IndexAgent.Targets;
using Dean.ServiceDefaults.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dean.Tests.IndexAgent;

public sealed class EvaluationVerdictTests
{
    private static ProcessOutcome Outcome(string stdout, int exit = 0) => new(exit, false, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(12), stdout, "boom", false, null);

    [Fact]
    public void The_last_json_line_gives_score_and_passed()
    {
        var verdict = EvaluationVerdict.FromProcess(Outcome("noise\n{\"score\": 1.5, \"passed\": true, \"metrics\": {\"m\": 2}, \"feedback\": \"ok\"}\n"), null);
        Assert.Equal(EvaluationResult.Passed, verdict.Result);
        Assert.Equal(1.5, verdict.Score);
        Assert.Equal("ok", verdict.Feedback);
        Assert.Equal(2, verdict.Metrics!.Value.GetProperty("m").GetInt32());
    }

    [Fact]
    public void Score_key_defaults_to_score_then_combined_score_and_missing_passed_means_exit_zero()
    {
        Assert.Equal(0.7, EvaluationVerdict.FromProcess(Outcome("{\"combined_score\": 0.7}"), null).Score);
        Assert.True(EvaluationVerdict.FromProcess(Outcome("{\"combined_score\": 0.7}"), null).Passed);
        Assert.Equal(EvaluationResult.Invalid, EvaluationVerdict.FromProcess(Outcome("{\"combined_score\": 0.7}"), "accuracy").Result);
        Assert.Equal(3, EvaluationVerdict.FromProcess(Outcome("{\"accuracy\": 3, \"score\": 1}"), "accuracy").Score);
    }

    [Theory]
    [InlineData("{\"score\": 1, \"passed\": false}", 0, EvaluationResult.Failed)]
    [InlineData("{\"score\": 1}", 2, EvaluationResult.Failed)]
    [InlineData("not json", 0, EvaluationResult.Invalid)]
    [InlineData("", 1, EvaluationResult.Failed)]
    [InlineData("{\"passed\": true}", 0, EvaluationResult.Invalid)]
    [InlineData("{\"score\": \"high\"}", 0, EvaluationResult.Invalid)]
    public void Rejections_carry_a_reason(string stdout, int exit, EvaluationResult expected)
    {
        var verdict = EvaluationVerdict.FromProcess(Outcome(stdout, exit), null);
        Assert.Equal(expected, verdict.Result);
        Assert.False(verdict.Passed);
        Assert.False(string.IsNullOrEmpty(verdict.Reason));
    }
}

/// <summary>Real processes: timeouts kill the whole tree, output is capped, concurrency is bounded.</summary>
public sealed class ProcessRunnerTests
{
    [Fact]
    public async Task A_hanging_evaluator_is_killed_at_its_timeout_with_its_children()
    {
        using var dir = new TempDirectory();
        // A background child, a grandchild in a subshell, and the shell itself all sleep far past the timeout.
        var command = "sleep 300 & echo $! > child.pid; (sleep 301 & echo $! > grandchild.pid; wait) & echo started; sleep 302";
        var stopwatch = Stopwatch.StartNew();
        var outcome = await ProcessRunner.RunAsync(dir.Path, command, TimeSpan.FromSeconds(1), 4096, CancellationToken.None);
        stopwatch.Stop();

        Assert.True(outcome.TimedOut);
        Assert.Null(outcome.ExitCode);
        // Not a speed goal: it waited for the timeout, and did not wait for the 300 s sleeps (a loaded machine has minutes of slack).
        Assert.InRange(stopwatch.Elapsed.TotalSeconds, 0.9, 150);
        Assert.Contains("started", outcome.Stdout);
        foreach (var file in new[] { "child.pid", "grandchild.pid" })
        {
            var pid = int.Parse(dir.Read(file).Trim());
            Assert.True(await ExitsAsync(pid), $"{file} ({pid}) still runs");
        }
        Assert.Equal(EvaluationResult.Timeout, EvaluationVerdict.FromProcess(outcome, null).Result);
    }

    [Fact]
    public async Task Output_is_capped_to_its_tail()
    {
        using var dir = new TempDirectory();
        var outcome = await ProcessRunner.RunAsync(dir.Path, "i=0; while [ $i -lt 5000 ]; do echo line-$i; i=$((i+1)); done; echo '{\"score\": 4}'",
            TimeSpan.FromSeconds(30), 2048, CancellationToken.None);
        Assert.True(outcome.Truncated);
        Assert.True(outcome.Stdout.Length <= 2048);
        Assert.EndsWith("{\"score\": 4}\n", outcome.Stdout);
        Assert.Equal(4, EvaluationVerdict.FromProcess(outcome, null).Score);
    }

    [Fact]
    public async Task Exit_code_stderr_and_working_directory_are_reported()
    {
        using var dir = new TempDirectory();
        dir.Write("marker.txt", "here");
        var outcome = await ProcessRunner.RunAsync(dir.Path, "cat marker.txt; echo oops >&2; exit 3", TimeSpan.FromSeconds(10), 4096, CancellationToken.None);
        Assert.Equal(3, outcome.ExitCode);
        Assert.Equal("here", outcome.Stdout);
        Assert.Contains("oops", outcome.Stderr);
        var verdict = EvaluationVerdict.FromProcess(outcome, null);
        Assert.Equal(EvaluationResult.Failed, verdict.Result);
        Assert.Contains("code 3", verdict.Reason);
    }

    [Fact]
    public async Task Evaluations_beyond_the_concurrency_limit_wait_for_a_slot()
    {
        using var dir = new TempDirectory();
        using var services = new ServiceCollection().AddMetrics().AddSingleton<DeanMeters>().BuildServiceProvider();
        var runner = new EvaluationRunner(Options.Create(new IndexAgentOptions { MaxConcurrentEvaluations = 1 }),
            new IndexAgentMetrics(services.GetRequiredService<DeanMeters>()));
        var task = new TaskFile("t", ["x"], "sleep 0.4; echo '{\"score\": 1}'", null, 10);
        var stopwatch = Stopwatch.StartNew();
        var verdicts = await Task.WhenAll(runner.EvaluateAsync(dir.Path, task, CancellationToken.None), runner.EvaluateAsync(dir.Path, task, CancellationToken.None));
        Assert.All(verdicts, v => Assert.True(v.Passed));
        Assert.True(stopwatch.Elapsed.TotalSeconds >= 0.8, $"two 0.4 s evaluations with one slot took {stopwatch.Elapsed.TotalSeconds:F2} s");
    }

    [Fact]
    // Its speed is a benchmark figure (bench/README.md), not a wall-clock assertion that flakes on a loaded machine.
    public async Task The_fast_sample_passes_its_own_evaluator()
    {
        var sample = Path.Combine(TempDirectory.SamplesRoot, "function-minimization");
        var task = TaskFile.Parse(File.ReadAllText(Path.Combine(sample, "dean.json")), out _)!;
        var outcome = await ProcessRunner.RunAsync(sample, task.Evaluate, TimeSpan.FromSeconds(task.TimeoutSeconds), 65536, CancellationToken.None);
        var verdict = EvaluationVerdict.FromProcess(outcome, task.Score);
        Assert.True(verdict.Passed, verdict.Reason);
        Assert.InRange(verdict.Score!.Value, 1.0, 1.52);
    }

    private static async Task<bool> ExitsAsync(int pid)
    {
        for (var i = 0; i < 40; i++)
        {
            // A killed child may linger briefly as a zombie until init reaps it; a zombie's state is 'Z'.
            var stat = $"/proc/{pid}/stat";
            if (!File.Exists(stat)) return true;
            try
            {
                var text = await File.ReadAllTextAsync(stat);
                if (text[(text.LastIndexOf(')') + 2)..].StartsWith('Z')) return true;
            }
            catch (IOException)
            {
                return true;
            }
            await Task.Delay(50);
        }
        return false;
    }
}
