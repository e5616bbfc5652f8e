using System.Diagnostics;

namespace Dean.Orchestrator.Backups;

/// <summary>Runs pg_dump, pg_restore, psql and git with arguments as a list (never a shell), failing loudly with stderr.</summary>
public static class ExternalTools
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, string? workingDirectory, IDictionary<string, string>? env, CancellationToken ct, bool check = true)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var result = new Result(process.ExitCode, await stdout, await stderr);
        if (check && result.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', info.ArgumentList)} exited {result.ExitCode}: {result.Stderr.Trim()}");
        return result;
    }

    /// <summary>A PostgreSQL client binary: the newest under /usr/lib/postgresql/*/bin, else one on PATH.</summary>
    public static string Postgres(string tool)
    {
        var root = "/usr/lib/postgresql";
        if (Directory.Exists(root))
        {
            var found = Directory.GetDirectories(root).OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin", tool)).FirstOrDefault(File.Exists);
            if (found is not null) return found;
        }
        return tool;
    }
}
