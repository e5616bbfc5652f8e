namespace Dean.Contracts.Orchestrator;

// Sign-in, the runbook's health table and token metrics, and backups: the Orchestrator's operations contracts.

public sealed record LoginRequest(string? Username, string? Password);

public sealed record RefreshRequest(string? RefreshToken);

public sealed record TokenResponse(string AccessToken, string RefreshToken, string TokenType, int ExpiresIn);

/// <summary>One part of DEAN as the Orchestrator probed it: <c>healthy</c>, <c>degraded</c> or <c>unhealthy</c>.</summary>
public sealed record ServiceStatus(string Status, double LatencyMs, string? Version, DateTime LastCheck, string? Detail);

public sealed record ServicesStatusResponse(string Status, IReadOnlyDictionary<string, ServiceStatus> Services);

public sealed record AgentConsumption(string AgentId, long Allocated, long Consumed);

public sealed record TokenMetricsResponse(long TotalBudget, long TotalAllocated, long TotalConsumed, long BudgetRemaining,
    double EfficiencyRatio, double? TokensPerPattern, double? TokensPerAgent, int Patterns, int Agents, IReadOnlyList<AgentConsumption> ConsumptionByAgent);

public sealed record BackupAccepted(string BackupId, string Status);

public sealed record RestoreAccepted(string RestoreId, string Status);

public sealed record BackupResponse(string BackupId, string Status, DateTime CreatedAt, DateTime? CompletedAt, long? SizeBytes, string Path,
    string? Sha256, IReadOnlyList<string> Contents, IReadOnlyDictionary<string, string> Checksums, IReadOnlyList<string> Log, string? Error);

public sealed record BackupList(IReadOnlyList<BackupResponse> Backups, string Directory, int RetentionDays);

public sealed record RestoreResponse(string RestoreId, string BackupId, string Status, DateTime CreatedAt, DateTime? CompletedAt, IReadOnlyList<string> Log, string? Error);

/// <summary>Backup and restore states; <c>completed</c> and <c>failed</c> are final.</summary>
public static class BackupStatus
{
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";

    public static bool IsTerminal(string status) => status is Completed or Failed;
}
