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
    public async Task A_hanging_evaluator_is_killed_at_its_timeout_with_its_children_and_daemons()
    {
        using var dir = new TempDirectory();
        // A background child, a grandchild in a subshell, a setsid daemon, and the shell itself all sleep far past the
        // timeout. Each sleep has a duration no other process has, so the host's /proc tells whether it still runs.
        var marks = Enumerable.Range(0, 4).Select(i => $"{300 + i}.{Random.Shared.Next(100_000, 999_999)}").ToArray();
        var command = $"sleep {marks[0]} & (sleep {marks[1]} & wait) & setsid sh -c 'sleep {marks[2]}' & echo started; sleep {marks[3]}";
        var stopwatch = Stopwatch.StartNew();
        var outcome = await ProcessRunner.RunAsync(dir.Path, command, TimeSpan.FromSeconds(1), 4096, CancellationToken.None);
        stopwatch.Stop();

        Assert.True(outcome.TimedOut);
        Assert.Null(outcome.ExitCode);
        // Not a speed goal: it waited for the timeout, and did not wait for the 300 s sleeps (a loaded machine has minutes of slack).
        Assert.InRange(stopwatch.Elapsed.TotalSeconds, 0.9, 150);
        Assert.Contains("started", outcome.Stdout);
        foreach (var mark in marks)
            Assert.True(await GoneAsync(mark), $"sleep {mark} still runs");
        Assert.Equal(EvaluationResult.Timeout, EvaluationVerdict.FromProcess(outcome, null).Result);
    }

    [Fact]
    public async Task A_daemon_an_evaluator_leaves_behind_ends_with_it_and_it_sees_no_other_process()
    {
        Assert.True(ProcessRunner.SandboxAvailable, "this machine cannot give evaluators a sandbox (bubblewrap)");
        using var dir = new TempDirectory();
        var mark = $"310.{Random.Shared.Next(100_000, 999_999)}";
        // The daemon detaches (setsid, no shared pipes) and the command ends at once with a verdict.
        var command = $"setsid sh -c 'sleep {mark}' </dev/null >/dev/null 2>&1 & " +
                      "echo processes=$(ls /proc | grep -c '^[0-9]') parent=$(cat /proc/$PPID/environ 2>/dev/null | tr '\\0' '\\n' | grep -c . ); echo '{\"score\": 1}'";
        var outcome = await ProcessRunner.RunAsync(dir.Path, command, TimeSpan.FromSeconds(20), 4096, CancellationToken.None);
        Assert.Equal(0, outcome.ExitCode);
        Assert.True(await GoneAsync(mark), $"the daemon sleep {mark} outlived its evaluator");
        var seen = System.Text.RegularExpressions.Regex.Match(outcome.Stdout, @"processes=(\d+) parent=(\d+)");
        Assert.True(seen.Success, outcome.Stdout);
        // The shell, its daemon and the few commands of that line: never the host's hundreds.
        Assert.InRange(int.Parse(seen.Groups[1].Value), 1, 10);
        Assert.Equal("0", seen.Groups[2].Value);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_read_only_path_below_a_private_directory_is_readable_in_the_sandbox()
    {
        // Like a checkout in a mktemp -d directory (0700): the runner of peer tasks lives in its build output.
        using var outer = new TempDirectory();
        File.SetUnixFileMode(outer.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var shared = Path.Combine(outer.Path, "bin", "Peers");
        Directory.CreateDirectory(shared);
        File.SetUnixFileMode(Path.Combine(outer.Path, "bin"), (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(shared, "runner.txt"), "runner here");
        using var dir = new TempDirectory();
        var outcome = await ProcessRunner.RunAsync(dir.Path, $"cat {shared}/runner.txt", TimeSpan.FromSeconds(20), 4096, CancellationToken.None,
            CommandRules.Default with { ReadOnlyPaths = [shared] });
        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        Assert.Equal("runner here", outcome.Stdout.Trim());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_command_reaches_a_port_on_this_machine_only_when_its_task_allows_the_network(bool network)
    {
        // A real listener in the test process, like PostgreSQL, Redis or a DEAN service on this machine.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        using var dir = new TempDirectory();
        var command = $"/usr/bin/python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), timeout=5); print(\"connected\")'";
        var outcome = await ProcessRunner.RunAsync(dir.Path, command, TimeSpan.FromSeconds(20), 4096, CancellationToken.None, CommandRules.Default with { Network = network });
        if (network)
        {
            Assert.Equal(0, outcome.ExitCode);
            Assert.Contains("connected", outcome.Stdout);
        }
        else
        {
            Assert.True(ProcessRunner.SandboxAvailable, "this machine cannot give evaluators a sandbox (bubblewrap)");
            Assert.NotEqual(0, outcome.ExitCode);
            Assert.DoesNotContain("connected", outcome.Stdout);
            // Its network namespace has only its own loopback, where nothing listens.
            Assert.Contains("ConnectionRefusedError", outcome.Stderr, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData(SandboxMode.Bubblewrap, false, true)]
    [InlineData(SandboxMode.Bubblewrap, true, false)]
    [InlineData(SandboxMode.None, false, false)]
    [InlineData(SandboxMode.None, true, false)]
    public void Without_namespaces_evaluations_are_refused_unless_the_sandbox_is_explicitly_none(SandboxMode mode, bool available, bool refused)
    {
        var reason = ProcessRunner.Refusal(mode, available);
        Assert.Equal(refused, reason is not null);
        if (refused) Assert.Contains("IndexAgent:Sandbox=none", reason);
    }

    [Fact]
    public async Task With_the_sandbox_off_a_command_sees_the_machine_and_with_it_on_only_itself()
    {
        using var dir = new TempDirectory();
        const string count = "echo processes=$(ls /proc | grep -c '^[0-9]')";
        var off = await ProcessRunner.RunAsync(dir.Path, count, TimeSpan.FromSeconds(20), 4096, CancellationToken.None, sandbox: SandboxMode.None);
        var on = await ProcessRunner.RunAsync(dir.Path, count, TimeSpan.FromSeconds(20), 4096, CancellationToken.None);
        int Count(ProcessOutcome o) => int.Parse(System.Text.RegularExpressions.Regex.Match(o.Stdout, @"processes=(\d+)").Groups[1].Value);
        // The host runs many processes (this test run alone holds several); the sandbox shows only its own few.
        Assert.True(Count(off) > Count(on), $"off {Count(off)}, on {Count(on)}");
        Assert.InRange(Count(on), 1, 10);
    }

    [Fact]
    public async Task A_command_cannot_write_a_file_past_its_file_size_limit()
    {
        using var dir = new TempDirectory();
        var limits = ProcessLimits.Default with { FileSizeMb = 1 };
        var outcome = await ProcessRunner.RunAsync(dir.Path, "head -c 3000000 /dev/zero > big.bin; echo size=$(stat -c %s big.bin); test $(stat -c %s big.bin) -gt 1048576 && echo '{\"score\": 1}'",
            TimeSpan.FromSeconds(20), 4096, CancellationToken.None, CommandRules.Default with { Limits = limits });
        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Contains("size=1048576", outcome.Stdout);
        // It wrote in its own copy of the worktree: nothing reaches the worktree itself.
        Assert.False(File.Exists(Path.Combine(dir.Path, "big.bin")));
        Assert.False(EvaluationVerdict.FromProcess(outcome, null).Passed);
    }

    [Fact]
    public async Task A_command_cannot_allocate_past_its_memory_limit()
    {
        using var dir = new TempDirectory();
        var limits = ProcessLimits.Default with { MemoryMb = 256 };
        var outcome = await ProcessRunner.RunAsync(dir.Path, "/usr/bin/python3 -c 'b = bytearray(600 * 1024 * 1024); print(\"{\\\"score\\\": 1}\")'",
            TimeSpan.FromSeconds(20), 4096, CancellationToken.None, CommandRules.Default with { Limits = limits });
        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Contains("MemoryError", outcome.Stderr);
        Assert.False(EvaluationVerdict.FromProcess(outcome, null).Passed);
    }

    /// <summary>Whether no host process runs a command line containing <paramref name="mark"/> (zombies count as gone).</summary>
    internal static async Task<bool> GoneAsync(string mark)
    {
        for (var i = 0; i < 40; i++)
        {
            if (!Directory.EnumerateDirectories("/proc").Any(d => Runs(d, mark))) return true;
            await Task.Delay(50);
        }
        return false;
    }

    private static bool Runs(string procDirectory, string mark)
    {
        try
        {
            if (!File.ReadAllText(Path.Combine(procDirectory, "cmdline")).Contains(mark, StringComparison.Ordinal)) return false;
            var stat = File.ReadAllText(Path.Combine(procDirectory, "stat"));
            return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
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
}
