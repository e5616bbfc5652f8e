namespace Dean.IndexAgent.Agents;

public static class AgentStatus
{
    public const string Active = "active";
    public const string Paused = "paused";
    public const string BudgetExhausted = "budget_exhausted";
    public const string Retired = "retired";
    public const string Terminated = "terminated";

    public static readonly string[] All = [Active, Paused, BudgetExhausted, Retired, Terminated];
}

/// <summary>An agent as stored (DESIGN section 3).</summary>
public sealed record Agent(
    string Id,
    string Name,
    string Goal,
    string Target,
    Genome Genome,
    string[] ParentIds,
    int Generation,
    int Level,
    string Status,
    string? RetirementReason,
    string WorktreePath,
    string Branch,
    string BaseCommit,
    string HeadCommit,
    double? Fitness,
    double TokenEfficiency,
    double? DiversityScore,
    long TokenBudget,
    long TokensUsed,
    string? CycleId,
    string? AllocationId,
    string? LastFeedback,
    int Steps,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? RetiredAt,
    int StepsSinceAccept = 0,
    string? CurrentFeedback = null)
{
    public long TokensRemaining => Math.Max(0, TokenBudget - TokensUsed);
}

/// <summary>One proposed change and its judgement (DESIGN section 4, step 5).</summary>
public sealed record Candidate(
    long Id,
    string AgentId,
    string? CycleId,
    int Generation,
    string Operator,
    string EditKind,
    string Description,
    int Seed,
    string Diff,
    int FilesChanged,
    int LinesAdded,
    int LinesRemoved,
    long TokensReserved,
    long TokensUsed,
    long EvaluationMs,
    long DurationMs,
    double? Score,
    double? PreviousFitness,
    string? Metrics,
    string? Feedback,
    string Evaluation,
    bool Accepted,
    string Reason,
    string? CommitSha,
    DateTimeOffset CreatedAt,
    string? Stages = null);
