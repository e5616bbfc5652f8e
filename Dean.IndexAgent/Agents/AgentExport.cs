using System.Globalization;
using Dean.Contracts.IndexAgent;
using Dean.IndexAgent.Targets;
using Dean.IndexAgent.Workspace;

namespace Dean.IndexAgent.Agents;

/// <summary>
/// An agent's committed program handed back to the target's owner (DESIGN section 10, results out): the whole change as
/// one commit whose parent is the target's head, so it reads as one patch however many steps, merges and restarts the
/// lineage took, and applies to a clean clone of the target.
/// </summary>
public sealed class AgentExport(AgentStore agents, TargetStore targets)
{
    public sealed record Squashed(Agent Agent, Target Target, string Commit, bool Changed);

    /// <summary>The agent's tree as one commit on the target's head; <see cref="Squashed.Changed"/> is false when it equals that head.</summary>
    public async Task<Squashed?> SquashAsync(string agentId, string? subject, CancellationToken ct)
    {
        if (await agents.FindAsync(agentId, ct) is not { } agent || await targets.FindAsync(agent.Target, ct) is not { } target) return null;
        var tree = await TreeAsync(target.Path, agent.HeadCommit, ct);
        if (tree == await TreeAsync(target.Path, target.Head, ct)) return new Squashed(agent, target, target.Head, false);
        var message = string.IsNullOrWhiteSpace(subject) ? $"DEAN: {agent.Id}'s program on {target.Name}" : subject.Trim();
        var body = $"Evolved by DEAN: agent {agent.Id}, generation {agent.Generation}, fitness "
                   + (agent.Fitness?.ToString("R", CultureInfo.InvariantCulture) ?? "unknown") + $", from commit {agent.HeadCommit}.";
        var commit = (await GitCli.RunAsync(target.Path, ["commit-tree", tree, "-p", target.Head, "-m", message, "-m", body], ct)).Trim();
        return new Squashed(agent, target, commit, true);
    }

    /// <summary><c>git format-patch</c> of the squashed commit: a mail-format patch that <c>git apply</c> and <c>git am</c> take.</summary>
    public static Task<string> PatchAsync(Squashed squashed, CancellationToken ct) =>
        GitCli.RunAsync(squashed.Target.Path, ["format-patch", "-1", "--stdout", "--no-signature", squashed.Commit], ct);

    public abstract record PushOutcome
    {
        public sealed record Pushed(ExportResponse Response) : PushOutcome;
        public sealed record Refused(string Detail) : PushOutcome;
    }

    /// <summary>
    /// Pushes the squashed commit to the target's repository as <paramref name="branch"/> (replacing an earlier export of the
    /// same name). A target imported from a plain folder has no repository to push to.
    /// </summary>
    public static async Task<PushOutcome> PushAsync(Squashed squashed, string branch, CancellationToken ct)
    {
        var repository = squashed.Target.Repository;
        if (Directory.Exists(repository) && !WorkspaceService.IsRepository(repository))
            return new PushOutcome.Refused($"Target '{squashed.Target.Name}' was imported from a folder that is not a git repository; download the patch instead.");
        var (exit, _, stderr) = await GitCli.TryRunAsync(squashed.Target.Path, ["push", "-q", repository, $"+{squashed.Commit}:refs/heads/{branch}"], ct);
        if (exit != 0) return new PushOutcome.Refused($"git push to {repository} failed: {stderr.Trim()}");
        return new PushOutcome.Pushed(new ExportResponse(squashed.Agent.Id, squashed.Target.Name, repository, branch, squashed.Commit, squashed.Target.Head));
    }

    /// <summary>Null when the branch is a valid name under <see cref="ExportBranches.Prefix"/>; else why not.</summary>
    public static async Task<string?> BranchErrorAsync(string? branch, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(branch) || !branch.StartsWith(ExportBranches.Prefix, StringComparison.Ordinal) || branch.Length > 200)
            return $"branch must start with '{ExportBranches.Prefix}' and be at most 200 characters";
        var (exit, _, _) = await GitCli.TryRunAsync(Path.GetTempPath(), ["check-ref-format", $"refs/heads/{branch}"], ct);
        return exit == 0 ? null : $"'{branch}' is not a valid git branch name";
    }

    private static async Task<string> TreeAsync(string repository, string commit, CancellationToken ct) =>
        (await GitCli.RunAsync(repository, ["rev-parse", $"{commit}^{{tree}}"], ct)).Trim();
}
