namespace Dean.Contracts.IndexAgent;

// The IndexAgent's registered targets, as far as other services read them.

public sealed record TaskFileResponse(string Name, IReadOnlyList<string> Evolve, string Evaluate, string? Score, int TimeoutSeconds);

public sealed record TargetResponse(string Name, string Repository, string Path, string Head, bool IsDefault, TaskFileResponse Task, DateTimeOffset CreatedAt);

public sealed record TargetListResponse(IReadOnlyList<TargetResponse> Targets);

/// <summary>The answer of <c>POST /api/v1/maintenance/prune-worktrees</c>: the worktrees removed.</summary>
public sealed record WorktreePruneResponse(IReadOnlyList<string> Pruned);
