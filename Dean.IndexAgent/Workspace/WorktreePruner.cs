using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Targets;
using Microsoft.Extensions.Options;

namespace Dean.IndexAgent.Workspace;

/// <summary>
/// Removes worktrees of the workspace that belong to no live agent (no agent, or a retired/terminated one, e.g. after a
/// crash mid-retirement; their branches stay), then runs <c>git worktree prune</c> in every target. Runs at start-up and
/// on <c>POST /api/v1/maintenance/prune-worktrees</c> (the orchestrator's <c>dean_system_maintenance</c> job).
/// </summary>
public sealed class WorktreePruner(AgentStore agents, TargetStore targets, IOptions<IndexAgentOptions> options, ILogger<WorktreePruner> logger)
{
    public async Task<IReadOnlyList<string>> PruneAsync(CancellationToken ct)
    {
        var statuses = await agents.StatusesAsync(ct);
        var live = statuses.Where(s => s.Status is not (AgentStatus.Retired or AgentStatus.Terminated)).Select(s => s.Id).ToHashSet();
        var orphans = Directory.Exists(options.Value.WorktreesDirectory)
            ? Directory.EnumerateDirectories(options.Value.WorktreesDirectory).Where(d => !live.Contains(Path.GetFileName(d))).Order(StringComparer.Ordinal).ToList()
            : [];
        foreach (var orphan in orphans)
        {
            logger.LogWarning("Removing orphaned worktree {Worktree}", orphan);
            Directory.Delete(orphan, recursive: true);
        }
        foreach (var target in await targets.ListAsync(ct))
            await GitCli.TryRunAsync(target.Path, ["worktree", "prune"], ct);
        return orphans;
    }
}

public static class MaintenanceApi
{
    public static IEndpointRouteBuilder MapMaintenanceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/maintenance").WithTags("Maintenance");
        api.MapPost("/prune-worktrees", async (WorktreePruner pruner, CancellationToken ct) => TypedResults.Ok(new WorktreePruneResponse(await pruner.PruneAsync(ct))))
            .WithName("PruneWorktrees").WithSummary("Remove worktrees of no live agent and prune git's worktree records").RequireAuthorization(Dean.ServiceDefaults.Auth.Policies.Operator);
        return app;
    }
}
