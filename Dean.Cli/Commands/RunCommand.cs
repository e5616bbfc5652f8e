using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dean.Contracts;
using Dean.Contracts.IndexAgent;
using Dean.Contracts.Orchestrator;
using Spectre.Console;

namespace Dean.Cli.Commands;

/// <summary>
/// <c>dean run ./my-task</c>: the whole loop in one command. The folder (a <c>dean.json</c>, OpenEvolve or ShinkaEvolve task) is
/// registered as a target named after it and its content, so running an unchanged folder again reuses the target and an
/// edited one gets a new one; a cycle runs and is followed; the best program, its metrics and a patch land in <c>dean-out/</c> in the folder.
/// </summary>
public static class RunCommand
{
    public static Command Create(CommandContext context)
    {
        var folder = new Argument<DirectoryInfo>("folder") { Description = "The task: a folder or git repository with dean.json, or an OpenEvolve / ShinkaEvolve task" };
        var generations = new Option<int?>("--generations", "-g") { Description = "Generations to run (default: the task's, else the Orchestrator's)" };
        var size = new Option<int?>("--population-size", "-n") { Description = "How many agents" };
        var budget = new Option<long?>("--budget", "-b") { Description = "The cycle's token budget" };
        var name = new Option<string?>("--name") { Description = "The target's name (default: the folder's name and a hash of its content)" };
        var outDir = new Option<DirectoryInfo?>("--out", "-o") { Description = "Where the results go (default: dean-out/ in the folder)" };
        var command = new Command("run", "Register a task folder, evolve it, and write the best program, its metrics and a patch") { folder, generations, size, budget, name, outDir };
        command.SetAction(context.Action(async (parse, api, output, ct) =>
        {
            var source = parse.GetValue(folder)!;
            if (!source.Exists)
            {
                output.Error($"no folder {source.FullName}");
                return 2;
            }
            var targetName = parse.GetValue(name) ?? TargetName(source);
            var target = await EnsureTargetAsync(api, output, targetName, source.FullName, ct);

            var started = await api.PostAsync<StartResponse>(Service.Orchestrator, "/api/v1/evolution/start",
                new StartCycleRequest(null, parse.GetValue(size), target.Name, parse.GetValue(generations), parse.GetValue(budget), null, null), ct);
            output.Line($"Cycle [bold]{started.CycleId}[/] on {Markup.Escape(target.Name)} ({target.Format} task, evolving {Markup.Escape(string.Join(", ", target.Task.Evolve))})");
            var (status, exitCode) = await CycleWatcher.WatchAsync(api, output, started.CycleId, context.Settings.Poll, ct);
            if (status.BestAgentId is null)
            {
                output.Error("the cycle produced no program to keep");
                return 1;
            }

            var results = parse.GetValue(outDir) ?? new DirectoryInfo(Path.Combine(source.FullName, TaskFolders.Results));
            var written = await WriteResultsAsync(api, started.CycleId, results, ct);
            if (output.IsJson) output.WriteJson(new { cycle_id = started.CycleId, target = target.Name, status = status.Status, best_score = status.BestScore, files = written });
            else output.Line($"Results in [bold]{Markup.Escape(results.FullName)}[/]: {Markup.Escape(string.Join(", ", written.Select(Path.GetFileName)))}");
            return exitCode;
        }));
        return command;
    }

    /// <summary>The folder's name made a valid target name, then 8 hex digits of its content's hash.</summary>
    public static string TargetName(DirectoryInfo folder)
    {
        var stem = new string(folder.Name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-').ToArray()).Trim('-', '.', '_');
        if (stem.Length == 0) stem = "task";
        return $"{stem[..Math.Min(stem.Length, 50)]}-{ContentHash(folder)[..8]}";
    }

    /// <summary>SHA-256 over the files an import copies (paths and bytes, in ordinal order): not git's, builds', caches or our results.</summary>
    public static string ContentHash(DirectoryInfo folder)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = folder.EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Select(f => (File: f, Relative: Path.GetRelativePath(folder.FullName, f.FullName).Replace('\\', '/')))
            .Where(f => !f.Relative.Split('/')[..^1].Any(TaskFolders.Skipped.Contains) && !f.Relative.EndsWith(".pyc", StringComparison.Ordinal))
            .OrderBy(f => f.Relative, StringComparer.Ordinal);
        foreach (var (file, relative) in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(relative + "\0"));
            hash.AppendData(File.ReadAllBytes(file.FullName));
            hash.AppendData("\0"u8);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static async Task<TargetResponse> EnsureTargetAsync(DeanApi api, Output output, string name, string path, CancellationToken ct)
    {
        try
        {
            var existing = await api.GetAsync<TargetResponse>(Service.IndexAgent, $"/api/v1/targets/{name}", ct);
            output.Line($"Target [bold]{Markup.Escape(name)}[/] is registered already (same content)");
            return existing;
        }
        catch (ApiProblem problem) when (problem.Status == HttpStatusCode.NotFound)
        {
            var created = await api.PostAsync<TargetResponse>(Service.IndexAgent, "/api/v1/targets/", new RegisterTargetRequest(name, path), ct);
            output.Line($"Registered [bold]{Markup.Escape(name)}[/] from {Markup.Escape(path)}");
            return created;
        }
    }

    private static async Task<List<string>> WriteResultsAsync(DeanApi api, string cycleId, DirectoryInfo results, CancellationToken ct)
    {
        results.Create();
        var written = new List<string>();
        var best = await api.GetAsync<BestProgramResponse>(Service.Orchestrator, $"/api/v1/evolution/{cycleId}/best", ct);
        // The first file carries the task format's name (best_program.py for OpenEvolve); the others keep their paths.
        foreach (var (relative, content) in best.Files.Skip(1).Select(f => (f.Path, f.Content)).Prepend((best.Path, best.Content)))
        {
            var destination = Path.GetFullPath(Path.Combine(results.FullName, relative));
            if (!destination.StartsWith(results.FullName + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            await File.WriteAllTextAsync(destination, content, ct);
            written.Add(destination);
        }

        var metrics = Path.Combine(results.FullName, "metrics.json");
        await File.WriteAllTextAsync(metrics, JsonSerializer.Serialize(new
        {
            cycle_id = cycleId, agent_id = best.AgentId, commit = best.Commit, score = best.Score, rescored_score = best.RescoredScore,
            agrees = best.Agrees, reason = best.Reason, metrics = best.Metrics,
        }, new JsonSerializerOptions(DeanJson.Options) { WriteIndented = true }), ct);
        written.Add(metrics);

        try
        {
            var patch = Path.Combine(results.FullName, "best.patch");
            await File.WriteAllTextAsync(patch, await api.GetTextAsync(Service.Orchestrator, $"/api/v1/evolution/{cycleId}/patch", ct), ct);
            written.Add(patch);
        }
        catch (ApiProblem problem) when (problem.Type == ExportProblems.NoChange)
        {
            // The best program is the one the task started with: there is nothing to patch.
        }
        return written;
    }
}
