using Dean.IndexAgent;
using Dean.IndexAgent.Workspace;
using Microsoft.Extensions.Options;

namespace Dean.Tests.IndexAgent;

/// <summary>Real git: importing a sample, worktrees on agent branches, commits of exactly the edited files, removal.</summary>
public sealed class WorkspaceTests
{
    [Fact]
    public async Task A_sample_directory_is_imported_as_a_new_repository_and_worktrees_branch_from_it()
    {
        using var root = new TempDirectory();
        var workspace = new WorkspaceService(Options.Create(new IndexAgentOptions { WorkspaceRoot = root.Path }));
        var target = workspace.TargetPath("fm");
        var head = await workspace.ImportAsync(Path.Combine(TempDirectory.SamplesRoot, "function-minimization"), target, CancellationToken.None);
        Assert.Matches("^[0-9a-f]{40}$", head);
        Assert.True(File.Exists(Path.Combine(target, "dean.json")));
        Assert.Contains("program.py", await GitCli.TrackedFilesAsync(target));

        var worktree = await workspace.AddWorktreeAsync(target, "agent_900", head, CancellationToken.None);
        Assert.Equal("dean/agent/agent_900", TempDirectory.RunGit(worktree, "rev-parse", "--abbrev-ref", "HEAD"));

        var edit = new WorktreeEdit(worktree);
        edit.Write("program.py", WorktreeEdit.Read(worktree, "program.py").Replace("step = 2.0", "step = 2.5"));
        File.WriteAllText(Path.Combine(worktree, "scratch.txt"), "evaluator output, never committed");
        var commit = await GitCli.CommitAsync(worktree, edit.Paths, "test commit");
        Assert.NotEqual(head, commit);
        Assert.Equal("program.py", TempDirectory.RunGit(worktree, "show", "--name-only", "--format=", commit));

        await workspace.RemoveWorktreeAsync(target, worktree, CancellationToken.None);
        Assert.False(Directory.Exists(worktree));
        Assert.Equal(commit, TempDirectory.RunGit(target, "rev-parse", "dean/agent/agent_900"));
    }

    [Fact]
    public async Task A_git_repository_is_cloned_and_a_restored_edit_leaves_the_worktree_clean()
    {
        using var source = new TempDirectory();
        source.Write("dean.json", "{}");
        var bom = new byte[] { 0xEF, 0xBB, 0xBF };
        File.WriteAllBytes(Path.Combine(source.Path, "a.cs"), [.. bom, .. "class A {}\n"u8.ToArray()]);
        source.Commit();
        using var root = new TempDirectory();
        var workspace = new WorkspaceService(Options.Create(new IndexAgentOptions { WorkspaceRoot = root.Path }));
        var target = workspace.TargetPath("cloned");
        var head = await workspace.ImportAsync(source.Path, target, CancellationToken.None);
        Assert.Equal(source.Git("rev-parse", "HEAD"), head);

        var edit = new WorktreeEdit(target);
        Assert.Equal("class A {}\n", WorktreeEdit.Read(target, "a.cs"));
        edit.Write("a.cs", "class B {}\n");
        edit.Write("new.cs", "class C {}\n");
        Assert.NotEqual("", TempDirectory.RunGit(target, "status", "--porcelain"));
        edit.Restore();
        Assert.Equal("", TempDirectory.RunGit(target, "status", "--porcelain"));
    }
}
