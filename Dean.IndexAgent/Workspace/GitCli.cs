using System.Diagnostics;
using System.Text;

namespace Dean.IndexAgent.Workspace;

public sealed class GitException(string message) : Exception(message);

/// <summary>The <c>git</c> command line (worktrees, commits, clones); every call fails loudly with git's own message.</summary>
public static class GitCli
{
    // Commits are made by the service itself; it must not depend on a user's git configuration.
    private static readonly string[] Identity = ["-c", "user.name=DEAN", "-c", "user.email=dean@localhost", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"];

    public static async Task<string> RunAsync(string workingDirectory, IEnumerable<string> arguments, CancellationToken cancellationToken = default)
    {
        var (exit, stdout, stderr) = await TryRunAsync(workingDirectory, arguments, cancellationToken);
        if (exit != 0) throw new GitException($"git {string.Join(' ', arguments)} failed ({exit}): {stderr.Trim()}");
        return stdout;
    }

    public static async Task<(int Exit, string Stdout, string Stderr)> TryRunAsync(string workingDirectory, IEnumerable<string> arguments, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in Identity.Concat(arguments)) start.ArgumentList.Add(argument);
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new GitException("git did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The given paths as <paramref name="commit"/> has them (paths it does not have are left out).</summary>
    public static async Task<IReadOnlyList<(string Path, string Content)>> ShowFilesAsync(string repository, string commit, IEnumerable<string> paths,
        CancellationToken cancellationToken = default)
    {
        var found = new List<(string, string)>();
        foreach (var path in paths)
        {
            var (exit, content, _) = await TryRunAsync(repository, ["show", $"{commit}:{path}"], cancellationToken);
            if (exit == 0) found.Add((path, content));
        }
        return found;
    }

    public static async Task<string> HeadAsync(string repository, CancellationToken cancellationToken = default) =>
        (await RunAsync(repository, ["rev-parse", "HEAD"], cancellationToken)).Trim();

    /// <summary>Tracked files of a worktree, relative with '/' separators.</summary>
    public static async Task<IReadOnlyList<string>> TrackedFilesAsync(string worktree, CancellationToken cancellationToken = default) =>
        (await RunAsync(worktree, ["ls-files", "-z"], cancellationToken)).Split('\0', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// The worktree exactly as its commit: tracked files reset, untracked files removed (ignored ones, build output, stay).
    /// What an evaluation wrote outside the accepted change, an evaluator it rewrote included, does not reach the next.
    /// </summary>
    public static async Task ResetToHeadAsync(string worktree, CancellationToken cancellationToken = default)
    {
        await RunAsync(worktree, ["reset", "-q", "--hard", "HEAD"], cancellationToken);
        await RunAsync(worktree, ["clean", "-q", "-f", "-d"], cancellationToken);
    }

    /// <summary>Commits exactly the given paths (new or changed) and returns the new commit.</summary>
    public static async Task<string> CommitAsync(string worktree, IReadOnlyCollection<string> paths, string message, CancellationToken cancellationToken = default)
    {
        await RunAsync(worktree, ["add", "--", .. paths], cancellationToken);
        await RunAsync(worktree, ["commit", "-q", "--no-verify", "-m", message, "--", .. paths], cancellationToken);
        return await HeadAsync(worktree, cancellationToken);
    }
}
