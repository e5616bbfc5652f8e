using System.Text.Json;
using Dean.Contracts.Evolution;

namespace Dean.Contracts.IndexAgent;

// The IndexAgent's agents, steps and candidates: what it answers and the Orchestrator reads.

public sealed record DiffStats(int FilesChanged, int LinesAdded, int LinesRemoved)
{
    public static readonly DiffStats Empty = new(0, 0, 0);
    public DiffStats Add(DiffStats other) => new(FilesChanged + other.FilesChanged, LinesAdded + other.LinesAdded, LinesRemoved + other.LinesRemoved);
}

/// <summary>Where a step's time went, in milliseconds (for the overhead benchmark and for diagnosing slow steps).</summary>
public sealed record StepTimings(double Prepare, double Reserve, double Propose, double Evaluate, double Settle, double Finish, double Record);

public sealed record TokenBudget(long Total, long Used, long Remaining);

public sealed record AgentResponse(
    string Id, string Name, string Goal, string Target, string Status, TokenBudget TokenBudget, double? Fitness, int Generation, int Level,
    Genome Genome, IReadOnlyList<string> ParentIds, string WorktreePath, string Branch, string BaseCommit, string HeadCommit,
    double TokenEfficiency, double? DiversityScore, string? CycleId, string? RetirementReason, int Steps,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? RetiredAt);

public sealed record AgentListResponse(IReadOnlyList<AgentResponse> Agents, long Total, int Limit, int Offset);

/// <remarks>Every field is optional (defaults apply), which the defaults here say to the OpenAPI document.</remarks>
public sealed record CreateAgentRequest(string? Goal = null, string? Target = null, long? TokenBudget = null, Genome? Genome = null, string? Name = null,
    string[]? ParentIds = null, string? CycleId = null, string? Priority = null, int? Level = null);

public sealed record RetireResponse(AgentResponse Agent, long TokensReturned);

/// <summary>The answer of one step; ids are strings in the API (the database's bigint is an implementation detail).</summary>
public sealed record EvolveResponse(
    string CandidateId, string AgentId, bool Accepted, double? Score, double? PreviousFitness, double? Fitness, long TokensUsed, long TokensReserved,
    long TokensRemaining, long EvaluationMs, long DurationMs, string Reason, string Evaluation, string Operator, string EditKind, string Description,
    DiffStats DiffStats, string? Commit, string? Feedback, int Seed, string? CycleId, int Generation, StepTimings TimingsMs,
    IReadOnlyList<StageResult>? Stages = null);

public sealed record CandidateResponse(
    string Id, string AgentId, string? CycleId, int Generation, string Operator, string EditKind, string Description, int Seed, string Diff,
    DiffStats DiffStats, long TokensReserved, long TokensUsed, long EvaluationMs, long DurationMs, double? Score, double? PreviousFitness,
    JsonElement? Metrics, string? Feedback, string Evaluation, bool Accepted, string Reason, string? Commit, DateTimeOffset CreatedAt,
    IReadOnlyList<StageResult>? Stages = null);

public sealed record CandidateListResponse(string AgentId, IReadOnlyList<CandidateResponse> Candidates, long Total, int Limit, int Offset);

/// <summary>One stage of a candidate's evaluation (DESIGN section 2): its number (1..n), score and duration.</summary>
public sealed record StageResult(int Stage, double? Score, long DurationMs);

/// <summary>One file of an agent's evolve scope as committed.</summary>
public sealed record ProgramFile(string Path, string Content);

/// <summary><c>GET /api/v1/agents/{id}/program</c>: the agent's current (committed) evolved files and its fitness.</summary>
public sealed record ProgramResponse(string AgentId, string Target, string Format, string Commit, double? Fitness, IReadOnlyList<ProgramFile> Files);

/// <summary>
/// <c>POST /api/v1/agents/{id}/rescore</c>: the committed program evaluated again in a fresh sandbox.
/// <see cref="Agrees"/> is false when it does not pass, or scores other than the <see cref="RecordedFitness"/> it was accepted with.
/// </summary>
public sealed record RescoreResponse(string AgentId, string Commit, double? RecordedFitness, double? Score, bool Passed, bool Agrees, string? Reason,
    JsonElement? Metrics);

/// <summary>
/// <c>POST /api/v1/agents/{id}/export</c>: push the agent's program, as one commit on the target's head, to the target's
/// repository as <see cref="Branch"/> (under <see cref="ExportBranches.Prefix"/>).
/// </summary>
public sealed record ExportRequest(string? Branch, string? Subject = null);

/// <param name="Commit">The one commit holding the program, its parent the target's head (<see cref="BaseCommit"/>).</param>
public sealed record ExportResponse(string AgentId, string Target, string Repository, string Branch, string Commit, string BaseCommit);

/// <summary>Where exports may write: DEAN's own branches only, so an export never moves a branch of the repository's owner.</summary>
public static class ExportBranches
{
    public const string Prefix = "dean/";

    public static string BestOfCycle(string cycleId) => $"{Prefix}best/{cycleId}";
}

/// <summary>The 409s of an export: nothing to export, or the repository would not take the push.</summary>
public static class ExportProblems
{
    public const string NoChange = "no_change";
    public const string ExportRefused = "export_refused";
}
