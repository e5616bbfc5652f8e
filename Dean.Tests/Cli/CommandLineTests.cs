using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Dean.Cli;
using Dean.Cli.Commands;
using Dean.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console.Testing;
using Xunit.Abstractions;
using TempDirectory = Dean.Tests.IndexAgent.TempDirectory;

namespace Dean.Tests.Cli;

/// <summary>`dean` run in-process against the running AppHost: the same parsing, HTTP client and output a terminal gets.</summary>
[Collection(DeanAppCollection.Name)]
public sealed class CommandLineTests(DeanAppFixture fx, ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _config = new();

    private string[] Addresses =>
    [
        "--url", fx.Client("orchestrator").BaseAddress!.ToString(),
        "--index-agent-url", fx.Client("indexagent").BaseAddress!.ToString(),
        "--economy-url", fx.Client("economy").BaseAddress!.ToString(),
    ];

    private async Task<(int Code, string Output)> DeanAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var code = await DeanCommandLine.RunAsync(args, console, new CliSettings(_config.Path, PollInterval: TimeSpan.FromMilliseconds(250)));
        output.WriteLine($"$ dean {string.Join(' ', args)}  → {code}\n{console.Output}");
        return (code, console.Output);
    }

    private async Task LoginAsync() =>
        Assert.Equal(0, (await DeanAsync([.. Addresses, "login", "--username", "admin", "--password", fx.AdminPassword])).Code);

    [Fact]
    public async Task Dean_run_registers_a_folder_evolves_it_and_writes_the_best_program_its_metrics_and_a_patch_that_applies()
    {
        await LoginAsync();
        var profile = Profile.Load(_config.Path);
        Assert.NotNull(profile.RefreshToken);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_config.Path, Profile.FileName)));

        using var task = TempDirectory.FromPeerTask("openevolve");
        var (code, text) = await DeanAsync("run", task.Path, "--generations", "3", "--population-size", "3", "--budget", "60000");
        Assert.True(code == 0, text);
        Assert.Contains("Registered", text);
        Assert.Contains("gen 3/3", text);

        var results = Path.Combine(task.Path, "dean-out");
        Assert.Contains("def guess():", File.ReadAllText(Path.Combine(results, "best_program.py")));
        var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "metrics.json"))).RootElement;
        var score = metrics.GetProperty("score").GetDouble();
        // The fresh evaluation's distance gives the score back: score = 1 / (1 + distance).
        Assert.Equal(1.0 / (1.0 + metrics.GetProperty("metrics").GetProperty("distance").GetDouble()), score, 6);

        // The start scores 1 / (1 + 4 + 9); a patch exists exactly when the cycle kept something better, and applies to the task as it was.
        var patch = Path.Combine(results, "best.patch");
        Assert.Equal(score > 1.0 / 14.0 + 1e-12, File.Exists(patch));
        if (File.Exists(patch))
        {
            using var clean = TempDirectory.FromPeerTask("openevolve");
            clean.Commit();
            clean.Git("apply", "--check", patch);
            clean.Git("apply", patch);
            Assert.Equal(File.ReadAllText(Path.Combine(results, "best_program.py")), clean.Read("initial_program.py"));
        }

        // The folder is a plain folder, not a repository: there is nowhere to push a branch.
        var cycleId = metrics.GetProperty("cycle_id").GetString()!;
        var (exportCode, exportText) = await DeanAsync("export", cycleId);
        Assert.Equal(1, exportCode);
        Assert.Contains("export_refused", exportText);

        // The results folder is not part of the task: the folder still names the target the cycle ran on.
        var cycle = JsonDocument.Parse((await DeanAsync("--json", "cycle", cycleId)).Output).RootElement;
        Assert.Equal(RunCommand.TargetName(new DirectoryInfo(task.Path)), cycle.GetProperty("target").GetString());
    }

    [Fact]
    public async Task A_cycle_on_a_repository_exports_its_best_as_a_patch_that_applies_and_as_a_branch_on_the_source_head()
    {
        await LoginAsync();
        using var repository = new TempDirectory();
        repository.Write("dean.json", """{"name": "far", "evolve": ["program.py"], "evaluate": "python3 evaluate.py"}""");
        repository.Write("program.py", "x = 1.0\n");
        // Any larger x scores better, so a few tuned constants improve it.
        repository.Write("evaluate.py", "import json, runpy\nx = runpy.run_path('program.py')['x']\nprint(json.dumps({'score': -abs(100.0 - x)}))\n");
        repository.Commit();
        var head = repository.Git("rev-parse", "HEAD");
        var target = $"export-{Guid.NewGuid():N}"[..20];
        var admin = await fx.ClientAsync("indexagent", "admin");
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/targets", new { name = target, repository = repository.Path })).StatusCode);

        var (code, text) = await DeanAsync("--json", "evolve", "start", "--target", target, "--generations", "4", "--population-size", "3", "--budget", "60000", "--watch");
        Assert.True(code == 0, text);
        // One JSON line per generation, then the final status.
        var lines = text.TrimEnd().Split('\n');
        Assert.Equal(4, lines.Count(line => line.Contains("\"generation\":{")));
        var final = JsonDocument.Parse(lines[^1]).RootElement;
        var cycleId = final.GetProperty("cycle_id").GetString()!;
        Assert.True(final.GetProperty("best_score").GetDouble() > -99.0, final.ToString());

        var patch = Path.Combine(_config.Path, "best.patch");
        Assert.Equal(0, (await DeanAsync("patch", cycleId, "--output", patch)).Code);
        var clone = Path.Combine(_config.Path, "clone");
        TempDirectory.RunGit(_config.Path, "clone", "-q", repository.Path, clone);
        TempDirectory.RunGit(clone, "apply", patch);
        var program = File.ReadAllText(Path.Combine(clone, "program.py"));
        Assert.NotEqual("x = 1.0\n", program);

        // A viewer may read the patch but not push.
        var viewer = await fx.ClientAsync("orchestrator", "viewer");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/v1/evolution/{cycleId}/export", null)).StatusCode);
        Assert.Empty(repository.Git("branch", "--list", "dean/*"));

        var (exportCode, exportText) = await DeanAsync("--json", "export", cycleId);
        Assert.True(exportCode == 0, exportText);
        var branch = $"dean/best/{cycleId}";
        Assert.Equal(branch, JsonDocument.Parse(exportText).RootElement.GetProperty("export").GetProperty("branch").GetString());
        // One commit on the source's head, carrying the patched program.
        Assert.Equal(head, repository.Git("rev-parse", branch + "^"));
        Assert.Equal(program, repository.Git("show", $"{branch}:program.py") + "\n");
        Assert.Equal(head, repository.Git("rev-parse", "main"));
    }

    [Fact]
    public async Task A_target_name_follows_the_folders_content_and_ignores_the_results_and_caches()
    {
        using var task = TempDirectory.FromPeerTask("openevolve");
        var folder = new DirectoryInfo(task.Path);
        var name = RunCommand.TargetName(folder);
        Assert.Matches("^dean-ia-[0-9a-f]{32}-[0-9a-f]{8}$", name);
        task.Write("dean-out/best_program.py", "x = 2\n");
        task.Write("__pycache__/evaluator.cpython-311.pyc", "compiled");
        task.Commit();
        Assert.Equal(name, RunCommand.TargetName(folder));
        task.Write("initial_program.py", task.Read("initial_program.py").Replace("x = 1.0", "x = 1.5"));
        Assert.NotEqual(name, RunCommand.TargetName(folder));
    }

    [Fact]
    public async Task Dean_status_marks_a_stopped_service_unhealthy_and_exits_non_zero()
    {
        await LoginAsync();
        var (healthyCode, healthy) = await DeanAsync("--json", "status");
        Assert.True(healthyCode == 0, healthy);
        var components = JsonDocument.Parse(healthy).RootElement.GetProperty("components").EnumerateArray().ToDictionary(c => c.GetProperty("component").GetString()!);
        Assert.Superset(new HashSet<string> { "orchestrator", "indexagent", "economy", "postgres", "redis" }, components.Keys.ToHashSet());

        try
        {
            await fx.KillAsync("economy", output);
            var (code, text) = await DeanAsync("--json", "status");
            Assert.Equal(1, code);
            var report = JsonDocument.Parse(text).RootElement;
            Assert.Equal("unhealthy", report.GetProperty("status").GetString());
            var rows = report.GetProperty("components").EnumerateArray().ToDictionary(c => c.GetProperty("component").GetString()!);
            Assert.Equal("unhealthy", rows["economy"].GetProperty("status").GetString());
            Assert.Contains("cannot reach", rows["economy"].GetProperty("detail").GetString());
            // The stores are fine, and the Orchestrator still answers (degraded: it depends on the Economy).
            Assert.Equal(("healthy", "healthy"), (rows["postgres"].GetProperty("status").GetString(), rows["redis"].GetProperty("status").GetString()));
            Assert.NotEqual("unhealthy", rows["orchestrator"].GetProperty("status").GetString());

            // The table a person reads says the same.
            var (tableCode, table) = await DeanAsync("status");
            Assert.Equal(1, tableCode);
            Assert.Contains("DEAN is unhealthy", table);
        }
        finally
        {
            await fx.StartAgainAsync("economy", output);
        }
    }

    [Fact]
    public async Task A_service_refusal_prints_its_problem_detail_and_exits_one()
    {
        await LoginAsync();
        var (code, text) = await DeanAsync("evolve", "start", "--generations", "0", "--population-size", "3");
        Assert.Equal(1, code);
        Assert.Contains("generations", text);
        Assert.Contains("validation_error", text);
        Assert.DoesNotContain("   at ", text); // no stack trace

        var (missing, missingText) = await DeanAsync("cycle", "no-such-cycle");
        Assert.Equal(1, missing);
        Assert.Contains("404", missingText);
    }

    public void Dispose() => _config.Dispose();
}
