using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Dean.IndexAgent.Workspace;

/// <summary>Target clones under <c>{WorkspaceRoot}/targets</c> and agent worktrees under <c>{WorkspaceRoot}/worktrees</c>.</summary>
public sealed class WorkspaceService(IOptions<IndexAgentOptions> options)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _repositoryLocks = new();
    private IndexAgentOptions Options => options.Value;

    public string TargetPath(string name) => Path.Combine(Options.TargetsDirectory, name);
    public string WorktreePath(string agentId) => Path.Combine(Options.WorktreesDirectory, agentId);
    public static string Branch(string agentId) => $"dean/agent/{agentId}";

    public void EnsureCreated()
    {
        Directory.CreateDirectory(Options.TargetsDirectory);
        Directory.CreateDirectory(Options.WorktreesDirectory);
    }

    /// <summary>
    /// Brings a repository into the workspace: a git URL or a local repository is cloned; a plain local directory (a
    /// sample) is copied and committed as a new repository. Returns the clone's HEAD.
    /// </summary>
    public async Task<string> ImportAsync(string repository, string destination, CancellationToken cancellationToken)
    {
        EnsureCreated();
        if (Directory.Exists(destination)) throw new IOException($"{destination} already exists");
        var local = Directory.Exists(repository) ? Path.GetFullPath(repository) : null;
        if (local is not null && !IsRepository(local))
        {
            CopyTree(local, destination);
            await GitCli.RunAsync(destination, ["init", "-q", "-b", "main"], cancellationToken);
            await GitCli.RunAsync(destination, ["add", "-A"], cancellationToken);
            await GitCli.RunAsync(destination, ["commit", "-q", "--no-verify", "-m", $"DEAN: import {Path.GetFileName(local)}"], cancellationToken);
        }
        else
        {
            await GitCli.RunAsync(Options.TargetsDirectory, ["clone", "-q", "--no-hardlinks", local ?? repository, destination], cancellationToken);
        }
        return await GitCli.HeadAsync(destination, cancellationToken);
    }

    /// <summary>A new worktree on branch <c>dean/agent/{id}</c> starting at <paramref name="startPoint"/>.</summary>
    public async Task<string> AddWorktreeAsync(string targetPath, string agentId, string startPoint, CancellationToken cancellationToken)
    {
        EnsureCreated();
        var path = WorktreePath(agentId);
        await WithRepositoryLock(targetPath, () => GitCli.RunAsync(targetPath, ["worktree", "add", "-q", "-b", Branch(agentId), path, startPoint], cancellationToken));
        return path;
    }

    /// <summary>Removes the worktree (and anything the evaluator left in it); the branch stays.</summary>
    public async Task RemoveWorktreeAsync(string targetPath, string worktreePath, CancellationToken cancellationToken)
    {
        await WithRepositoryLock(targetPath, async () =>
        {
            if (Directory.Exists(worktreePath))
                await GitCli.TryRunAsync(targetPath, ["worktree", "remove", "--force", worktreePath], cancellationToken);
            if (Directory.Exists(worktreePath)) Directory.Delete(worktreePath, recursive: true);
            await GitCli.TryRunAsync(targetPath, ["worktree", "prune"], cancellationToken);
            return "";
        });
    }

    private async Task<T> WithRepositoryLock<T>(string repository, Func<Task<T>> action)
    {
        // git's own lock files make concurrent worktree add/remove on one repository fail rather than wait.
        var gate = _repositoryLocks.GetOrAdd(repository, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try
        {
            return await action();
        }
        finally
        {
            gate.Release();
        }
    }

    public static bool IsRepository(string path) =>
        Directory.Exists(Path.Combine(path, ".git")) || File.Exists(Path.Combine(path, ".git"))
        || (File.Exists(Path.Combine(path, "HEAD")) && Directory.Exists(Path.Combine(path, "objects")));

    private static void CopyTree(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source))
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        foreach (var directory in Directory.EnumerateDirectories(source))
            if (!TaskFolders.Skipped.Contains(Path.GetFileName(directory)))
                CopyTree(directory, Path.Combine(destination, Path.GetFileName(directory)));
    }
}
