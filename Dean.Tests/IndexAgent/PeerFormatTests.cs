using Dean.Contracts.IndexAgent;
using Dean.IndexAgent;
using Dean.IndexAgent.Evaluation;
using Dean.IndexAgent.Targets;
using Dean.ServiceDefaults.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dean.Tests.IndexAgent;

/// <summary>One evaluation with the IndexAgent's runner, as a step makes it (sandbox, limits, stages).</summary>
internal static class Evaluations
{
    public static async Task<EvaluationVerdict> RunAsync(string directory, TaskFile task)
    {
        using var services = new ServiceCollection().AddMetrics().AddSingleton<DeanMeters>().BuildServiceProvider();
        var runner = new EvaluationRunner(Options.Create(new IndexAgentOptions { MaxConcurrentEvaluations = 1 }), new IndexAgentMetrics(services.GetRequiredService<DeanMeters>()));
        return await runner.EvaluateAsync(directory, task, CancellationToken.None);
    }
}

/// <summary>
/// OpenEvolve and ShinkaEvolve tasks, unchanged, through DEAN's peer runner: real evaluator processes in the sandbox.
/// The fixtures (Dean.Tests/PeerTasks) are written here from the peers' documented interfaces.
/// </summary>
public sealed class PeerFormatTests
{
    private static Task<EvaluationVerdict> EvaluateAsync(string directory, TaskFile task) => Evaluations.RunAsync(directory, task);

    private static TaskFile Detect(string directory)
    {
        var task = PeerTask.Detect(directory, "peer", out var errors);
        Assert.True(task is not null, string.Join("; ", errors.SelectMany(e => e.Value)));
        return task;
    }

    [Theory]
    [InlineData("openevolve", TaskFormats.OpenEvolve, "initial_program.py")]
    [InlineData("shinka", TaskFormats.Shinka, "initial.py")]
    public async Task A_peer_task_is_detected_and_its_evaluator_scores_through_the_runner(string fixture, string format, string program)
    {
        using var dir = TempDirectory.FromPeerTask(fixture);
        var task = Detect(dir.Path);
        Assert.Equal(format, task.Format);
        Assert.Equal([program], task.Evolve);

        // The evaluators print to stdout themselves; only the runner's line is parsed. Start (1, 8), target (3, 5).
        var verdict = await EvaluateAsync(dir.Path, task);
        Assert.True(verdict.Passed, verdict.Reason);
        Assert.Equal(1.0 / 14.0, verdict.Score!.Value, 9);
        Assert.Equal(13.0, verdict.Metrics!.Value.GetProperty("distance").GetDouble());
        Assert.Contains("squared distance to the target 13.0000", verdict.Feedback);

        File.WriteAllText(Path.Combine(dir.Path, program), File.ReadAllText(Path.Combine(dir.Path, program)).Replace("y = 8.0", "y = 5.0"));
        Assert.Equal(1.0 / 5.0, (await EvaluateAsync(dir.Path, task)).Score!.Value, 9);
    }

    [Theory]
    [InlineData("metrics only", "write(\"metrics.json\", {\"combined_score\": 0.9})", "no correct.json")]
    [InlineData("NaN score", "write(\"correct.json\", {\"correct\": True, \"error\": None}); write(\"metrics.json\", {\"combined_score\": float(\"nan\")})", "not a finite number")]
    [InlineData("incorrect", "write(\"correct.json\", {\"correct\": False, \"error\": \"wrong shape\"}); write(\"metrics.json\", {\"combined_score\": 0.9})", "wrong shape")]
    public async Task A_shinka_evaluator_without_correct_json_or_with_a_score_that_is_not_finite_rejects_the_candidate(string _, string writes, string reason)
    {
        using var dir = new TempDirectory();
        dir.Write("initial.py", "x = 1\n");
        dir.Write("evaluate.py", $$"""
            import argparse, json, os
            p = argparse.ArgumentParser(); p.add_argument("--program_path"); p.add_argument("--results_dir"); a = p.parse_args()
            def write(name, value):
                with open(os.path.join(a.results_dir, name), "w") as f: json.dump(value, f)
            {{writes}}
            """);
        var verdict = await EvaluateAsync(dir.Path, Detect(dir.Path));
        Assert.False(verdict.Passed);
        Assert.Contains(reason, verdict.Reason);
    }

    [Fact]
    public async Task An_openevolve_cascade_whose_first_stage_fails_never_runs_the_second()
    {
        using var dir = new TempDirectory();
        dir.Write("initial_program.py", "QUALITY = 0.2\n");
        dir.Write("config.yaml", "evaluator:\n  timeout: 20\n  cascade_thresholds: [0.5]\n");
        dir.Write("evaluator.py", """
            import importlib.util
            def quality(path):
                spec = importlib.util.spec_from_file_location("p", path); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
                return m.QUALITY
            def evaluate_stage1(path):
                return {"combined_score": quality(path)}
            def evaluate_stage2(path):
                return {"combined_score": quality(path), "stage2_ran": 1.0}
            """);
        var task = Detect(dir.Path);
        Assert.Equal((20, true, 2), (task.TimeoutSeconds, task.Cascade, task.PeerStages));
        Assert.Equal([0.5, null], task.StageCommands.Select(s => s.Threshold));

        var stopped = await EvaluateAsync(dir.Path, task);
        Assert.False(stopped.Passed);
        Assert.Contains("stage_1_below_threshold", stopped.Reason);
        Assert.False(stopped.Metrics!.Value.TryGetProperty("stage2_ran", out _));
        Assert.Equal([1], stopped.Stages!.Select(s => s.Stage));

        dir.Write("initial_program.py", "QUALITY = 0.7\n");
        var through = await EvaluateAsync(dir.Path, task);
        Assert.True(through.Passed, through.Reason);
        Assert.Equal([1, 2], through.Stages!.Select(s => s.Stage));
        Assert.Equal(1.0, through.Metrics!.Value.GetProperty("stage2_ran").GetDouble());
    }

    [Fact]
    public async Task A_peer_evaluator_that_hangs_is_killed_at_its_timeout_with_its_whole_process_tree()
    {
        using var dir = new TempDirectory();
        var mark = $"320.{Random.Shared.Next(100_000, 999_999)}";
        dir.Write("initial_program.py", "x = 1\n");
        dir.Write("config.yaml", "evaluator:\n  timeout: 2\n");
        dir.Write("evaluator.py", $$"""
            import subprocess, time
            def evaluate(path):
                subprocess.Popen(["sleep", "{{mark}}"], start_new_session=True)
                time.sleep(600)
            """);
        var verdict = await EvaluateAsync(dir.Path, Detect(dir.Path));
        Assert.Equal(EvaluationResult.Timeout, verdict.Result);
        Assert.True(await ProcessRunnerTests.GoneAsync(mark), $"sleep {mark} outlived its evaluator");
    }

    [Fact]
    public void A_repository_in_no_known_layout_or_with_a_broken_config_is_refused_with_reasons()
    {
        using var dir = new TempDirectory();
        dir.Write("program.py", "x = 1\n");
        Assert.Null(PeerTask.Detect(dir.Path, "peer", out var errors));
        Assert.Contains(TaskFile.FileName, errors.Keys);

        dir.Write("initial_program.py", "x = 1\n");
        dir.Write("evaluator.py", "def evaluate(p): return {}\n");
        dir.Write("config.yaml", "evaluator:\n  timeout: soon\n  cascade_thresholds: nine\n");
        Assert.Null(PeerTask.Detect(dir.Path, "peer", out errors));
        Assert.Equal(["evaluator.cascade_thresholds", "evaluator.timeout"], errors.Keys.Order());
    }

    [Fact]
    public void OpenEvolves_iterations_and_population_size_become_a_cycles_defaults_within_the_constraints()
    {
        using var dir = new TempDirectory();
        dir.Write("initial_program.py", "x = 1\n");
        dir.Write("evaluator.py", "def evaluate(p): return {}\n");
        dir.Write("config.yaml", "max_iterations: 100\ndatabase:\n  population_size: 1000\n");
        var task = Detect(dir.Path);
        Assert.Equal((100, 1000), (task.MaxIterations, task.PopulationSize));
        // OpenEvolve's default population of 1000 is clamped to population_size_range [3, 50]: 100 evaluations, 2 generations.
        Assert.Equal(((int?)50, (int?)2), Dean.Orchestrator.Evolution.CycleLauncher.PeerDefaults(task.PopulationSize, task.MaxIterations, 3, 50));
        Assert.Equal(((int?)4, (int?)3), Dean.Orchestrator.Evolution.CycleLauncher.PeerDefaults(4, 10, 3, 50));
        Assert.Equal(((int?)null, (int?)4), Dean.Orchestrator.Evolution.CycleLauncher.PeerDefaults(null, 10, 3, 50));

        dir.Write("config.yaml", "max_iterations: many\ndatabase:\n  population_size: 0\n");
        Assert.Null(PeerTask.Detect(dir.Path, "peer", out var errors));
        Assert.Equal(["database.population_size", "max_iterations"], errors.Keys.Order());
    }

    [Theory]
    [InlineData("/srv/tasks/Circle_Packing", "circle_packing")]
    [InlineData("https://github.com/someone/My Task.git", "my-task")]
    [InlineData("/", "target")]
    public void A_repository_without_a_task_file_is_named_after_its_last_segment(string repository, string name) =>
        Assert.Equal(name, TargetService.NameOf(repository));
}

/// <summary><c>dean.json</c> <c>stages</c>: real processes, stage by stage.</summary>
public sealed class StagedEvaluationTests
{
    private static Task<EvaluationVerdict> EvaluateAsync(string directory, TaskFile task) => Evaluations.RunAsync(directory, task);

    private static TaskFile Parse(string json)
    {
        var task = TaskFile.Parse(json, out var errors);
        Assert.True(task is not null, string.Join("; ", errors.SelectMany(e => e.Value)));
        return task;
    }

    private const string Stages = """
        {"name": "staged", "evolve": ["program.py"], "stages": [
          {"command": "python3 -c 'import json, program; print(json.dumps({\"score\": program.QUICK}))'", "threshold": 0.5},
          {"command": "python3 -c 'import json, program; print(json.dumps({\"score\": program.FULL, \"metrics\": {\"stage_two\": 1}}))'"}]}
        """;

    [Fact]
    public async Task A_candidate_below_a_stage_threshold_stops_there_and_costs_only_that_stage()
    {
        using var dir = new TempDirectory();
        dir.Write("program.py", "QUICK = 0.2\nFULL = 9.0\n");
        var task = Parse(Stages);
        Assert.Equal(2, task.StageCommands.Count);

        var stopped = await EvaluateAsync(dir.Path, task);
        Assert.False(stopped.Passed);
        Assert.StartsWith("stage_1_below_threshold", stopped.Reason);
        Assert.Equal([1], stopped.Stages!.Select(s => s.Stage));
        Assert.Equal(0.2, stopped.Score);
        Assert.Equal(stopped.Stages![0].DurationMs, stopped.DurationMs);

        dir.Write("program.py", "QUICK = 0.7\nFULL = 9.0\n");
        var through = await EvaluateAsync(dir.Path, task);
        Assert.True(through.Passed, through.Reason);
        Assert.Equal(9.0, through.Score);
        Assert.Equal([(1, (double?)0.7), (2, 9.0)], through.Stages!.Select(s => (s.Stage, s.Score)));
        Assert.Equal(through.Stages!.Sum(s => s.DurationMs), through.DurationMs);
        Assert.Equal(1, through.Metrics!.Value.GetProperty("stage_two").GetInt32());
    }

    [Theory]
    [InlineData("""{"name": "s", "evolve": ["p.py"], "evaluate": "x", "stages": [{"command": "y"}]}""", "evaluate")]
    [InlineData("""{"name": "s", "evolve": ["p.py"], "stages": []}""", "stages")]
    [InlineData("""{"name": "s", "evolve": ["p.py"], "stages": [{"threshold": 1}]}""", "stages")]
    [InlineData("""{"name": "s", "evolve": ["p.py"], "stages": [{"command": "y", "threshold": "high"}]}""", "stages")]
    public void Stages_are_validated(string json, string field)
    {
        Assert.Null(TaskFile.Parse(json, out var errors));
        Assert.Contains(field, errors.Keys);
    }
}
