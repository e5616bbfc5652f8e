using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Dean.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dean.Tests.Operations;

/// <summary>
/// <c>docs/OPERATIONS.md</c> is tried, not just written: every bash block runs, in order and in one shell session as
/// an operator would paste them, against the running system. Only the run-mode ports and the sample agent ids are
/// relocated to this test system's; every curl fails on an HTTP error, so a changed route or shape fails here.
/// </summary>
[Collection(DeanAppCollection.Name)]
public sealed partial class OperationsGuideTests(DeanAppFixture fx, ITestOutputHelper output)
{
    private static readonly string Guide = Path.Combine(MonitoringTests.Repository, "docs", "OPERATIONS.md");

    [Fact]
    public void The_guide_has_bash_blocks_and_only_the_start_up_block_is_left_out()
    {
        var blocks = BashBlocks(File.ReadAllText(Guide));
        Assert.True(blocks.Count >= 15, $"{blocks.Count} bash blocks");
        Assert.Single(blocks, b => StartsTheSystem(b.Text));
    }

    [Fact]
    public async Task Every_command_in_the_operations_guide_works_against_the_running_system()
    {
        await fx.App.ResourceNotifications.WaitForResourceHealthyAsync("prometheus").WaitAsync(TimeSpan.FromMinutes(2));
        // The guide's examples name agent_001 and agent_002, and stop a running cycle: make them exist here.
        var indexAgent = await fx.ClientAsync("indexagent", "operator");
        var agents = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var created = await indexAgent.PostAsJsonAsync("/api/v1/agents", new { goal = "operations guide", target = "function-minimization", token_budget = 20_000 });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            agents.Add((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        }
        var orchestrator = await fx.ClientAsync("orchestrator", "operator");
        var started = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { population_ids = new[] { agents[0] }, generations = 100, token_budget = 20_000 });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var cycleId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cycle_id").GetString()!;
        await WaitForCycleStatusAsync(orchestrator, cycleId, "running");

        var ports = new Dictionary<string, Uri>
        {
            ["8082"] = fx.App.GetEndpoint("orchestrator", "http"),
            ["8080"] = fx.App.GetEndpoint("orchestrator", "airflow"),
            ["8081"] = fx.App.GetEndpoint("indexagent", "http"),
            ["8090"] = fx.App.GetEndpoint("economy", "http"),
            ["9090"] = fx.App.GetEndpoint("prometheus", "http"),
        };
        var script = Script(File.ReadAllText(Guide), ports, new Dictionary<string, string> { ["agent_001"] = agents[0], ["agent_002"] = agents[1] });
        var postgres = new Npgsql.NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync());
        try
        {
            var (code, text) = await RunAsync(script, new Dictionary<string, string>
            {
                ["DEAN_URL"] = ports["8082"].ToString().TrimEnd('/'),
                ["DEAN_ADMIN_PASSWORD"] = fx.AdminPassword,
                ["PGPORT"] = postgres.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["PGPASSWORD"] = postgres.Password!,
            });
            Assert.True(code == 0, $"the guide failed (exit {code}); the last '### docs/OPERATIONS.md:N' line names the block:\n{Tail(text, 60)}");
            // Spot checks that the blocks did what the guide says, not just exited 0.
            Assert.Contains("\"stopped\"", text);                                  // the stuck cycle was stopped
            Assert.Matches(@"==> verified", text);                                 // ops/backup.sh --verify
            Assert.Matches(@"""status"":\s*""completed""", text);                  // the API restore completed
            Assert.Matches(@"\{""service"":""economy"",""health"":""up""\}", text); // Prometheus scrapes
            Assert.Matches(@"""state"":""success""\}", text);                      // the weekly maintenance run
            // The guide rotated the signing key: the tokens from before are void.
            Assert.Equal(HttpStatusCode.Unauthorized, (await orchestrator.GetAsync($"/api/v1/evolution/{cycleId}/status")).StatusCode);
            await fx.ForgetTokensAsync();
            var status = await (await fx.ClientAsync("orchestrator", "viewer")).GetFromJsonAsync<JsonElement>($"/api/v1/evolution/{cycleId}/status");
            Assert.Equal("stopped", status.GetProperty("status").GetString());
        }
        finally
        {
            // Leave the system quiet: the guide starts a cycle, and an emergency stop may be left in force by a failure.
            await fx.ForgetTokensAsync();
            var admin = await fx.ClientAsync("orchestrator", "admin");
            await admin.PostAsync("/api/v1/emergency/resume", null);
            var running = await admin.GetFromJsonAsync<JsonElement>("/api/v1/evolution?status=running");
            foreach (var cycle in running.GetProperty("cycles").EnumerateArray())
                await admin.PostAsync($"/api/v1/evolution/{cycle.GetProperty("cycle_id").GetString()}/stop", null);
        }
    }

    /// <summary>The guide's bash blocks with the line each starts on.</summary>
    public static List<(int Line, string Text)> BashBlocks(string markdown) =>
        BashBlock().Matches(markdown).Select(m => (markdown[..m.Index].Count(c => c == '\n') + 2, m.Groups[1].Value)).ToList();

    private static bool StartsTheSystem(string block) => block.Split('\n').Any(l => l.TrimStart().StartsWith("./run.sh", StringComparison.Ordinal));

    /// <summary>
    /// One script: strict mode, curl that fails on HTTP errors (with the body shown), a marker before each block, and
    /// the run-mode ports and sample agent ids replaced by this system's.
    /// </summary>
    private static string Script(string markdown, Dictionary<string, Uri> ports, Dictionary<string, string> ids)
    {
        var script = new StringBuilder("""
            set -euo pipefail
            curl() { command curl --fail-with-body --show-error "$@"; }
            trap 'echo "FAILED: $BASH_COMMAND" >&2' ERR

            """);
        foreach (var (line, text) in BashBlocks(markdown))
        {
            if (StartsTheSystem(text)) continue; // the fixture started it
            var relocated = RunModePort().Replace(text, m => ports.TryGetValue(m.Groups[1].Value, out var uri) ? $"{uri.Host}:{uri.Port}" : m.Value);
            relocated = SampleAgent().Replace(relocated, m => ids[m.Value]);
            script.Append("echo '### docs/OPERATIONS.md:").Append(line).Append("'\n").Append(relocated).Append('\n');
        }
        return script.ToString();
    }

    private async Task<(int Code, string Output)> RunAsync(string script, Dictionary<string, string> environment)
    {
        var file = Path.Combine(fx.DataDirectory, "operations-guide.sh");
        await File.WriteAllTextAsync(file, script);
        var info = new ProcessStartInfo("bash", [file])
        {
            WorkingDirectory = MonitoringTests.Repository,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var lines = new StringBuilder();
        void Collect(object _, DataReceivedEventArgs e) { if (e.Data is not null) lock (lines) lines.AppendLine(e.Data); }
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // ops/restore.sh asks before it restores.
        await process.StandardInput.WriteLineAsync("yes");
        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        process.WaitForExit(); // drains the output events
        var text = lines.ToString();
        output.WriteLine(text);
        return (process.ExitCode, text);
    }

    private static async Task WaitForCycleStatusAsync(HttpClient orchestrator, string cycleId, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var body = await orchestrator.GetFromJsonAsync<JsonElement>($"/api/v1/evolution/{cycleId}/status");
            if (body.GetProperty("status").GetString() == status) return;
            await Task.Delay(200);
        }
        Assert.Fail($"cycle {cycleId} never became {status}");
    }

    private static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));

    [GeneratedRegex(@"^```bash\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex BashBlock();

    [GeneratedRegex(@"localhost:(80[89]\d|9090)\b")]
    private static partial Regex RunModePort();

    [GeneratedRegex(@"\bagent_00[12]\b")]
    private static partial Regex SampleAgent();
}
