using System.Diagnostics;
using Dean.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dean.Tests.Operations;

/// <summary>The operators' shell scripts against the running system (they need curl and jq, which ./test.sh installs).</summary>
[Collection(DeanAppCollection.Name)]
public sealed class OpsScriptTests(DeanAppFixture fx, ITestOutputHelper output)
{
    [Fact]
    public async Task Backup_script_makes_and_verifies_a_backup_and_restore_script_lists_it()
    {
        var url = fx.Client("orchestrator").BaseAddress!.ToString().TrimEnd('/');
        var token = await fx.TokenAsync("admin");
        var (code, text) = await RunAsync("ops/backup.sh", ["--verify"], url, token);
        Assert.True(code == 0, text);
        Assert.Contains("dumping the agent_evolution database", text);
        Assert.Contains("==> verified", text);
        var id = System.Text.RegularExpressions.Regex.Match(text, @"==> (dean_\d{8}_\d{6}(_\d+)?)").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(id), text);

        var (listCode, list) = await RunAsync("ops/restore.sh", [], url, token);
        Assert.True(listCode == 0, list);
        Assert.Contains(id + "\tcompleted", list);

        var (badCode, bad) = await RunAsync("ops/backup.sh", [], url, "not-a-token");
        Assert.NotEqual(0, badCode);
        output.WriteLine(bad);
    }

    private async Task<(int Code, string Output)> RunAsync(string script, string[] args, string url, string token)
    {
        var info = new ProcessStartInfo("bash") { WorkingDirectory = MonitoringTests.Repository, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DEAN_URL"] = url;
        info.Environment["DEAN_TOKEN"] = token;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        var text = await stdout + await stderr;
        output.WriteLine(text);
        return (process.ExitCode, text);
    }
}
