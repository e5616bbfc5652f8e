using System.Text.Json;
using Dean.Contracts.IndexAgent;

namespace Dean.Contracts.Orchestrator;

// The Orchestrator's evolution cycles (DESIGN sections 9 and 10), as its API answers and its clients (the console, `dean`) read them.

public sealed record StartCycleRequest(
    string[]? PopulationIds, int? PopulationSize, string? Target, int? Generations, long? TokenBudget,
    int[]? CaRules, double? DiversityThreshold);

public sealed record StartResponse(string CycleId, string Status);

/// <summary>What became of one kind of edit in a cycle.</summary>
public sealed record EditKindStats(int Proposed, int CheckFailed, int Evaluated, int Accepted);

public sealed record CycleStatusResponse(
    string CycleId, string Status, int CurrentGeneration, int TotalGenerations, long TokenBudget, long TokensConsumed,
    int PatternsDiscovered, double? PopulationDiversity, double? BestScore, string? BestAgentId, string[] PopulationIds,
    string? Target, int[] CaRules, double DiversityThreshold, IReadOnlyList<GenerationResponse> Generations,
    DateTime CreatedAt, DateTime? StartedAt, DateTime? EndedAt, string? Error, int PopulationSize, IReadOnlyDictionary<string, EditKindStats> EditKinds,
    IReadOnlyDictionary<string, int> Stages);

public sealed record GenerationResponse(int Generation, double? BestScore, double? MeanScore, double? Diversity, int Accepted,
    int Evaluations, long Tokens, Dictionary<string, int> CaRulesFired, DateTime StartedAt, DateTime CompletedAt);

/// <param name="Path">The file as the task's format names it: <c>best_program.&lt;ext&gt;</c> for OpenEvolve and ShinkaEvolve tasks.</param>
/// <param name="Agrees">Whether the fresh evaluation passed with the score the program was accepted with; false flags a disagreement.</param>
public sealed record BestProgramResponse(string CycleId, string AgentId, string Format, string Commit, string Path, string Content,
    double? Score, double? RescoredScore, bool Agrees, string? Reason, JsonElement? Metrics, IReadOnlyList<ProgramFile> Files);

public sealed record CycleListResponse(IReadOnlyList<CycleStatusResponse> Cycles, int Total);

/// <summary><c>POST /api/v1/evolution/{id}/export</c>: the cycle's best program pushed as <see cref="ExportResponse.Branch"/>.</summary>
public sealed record CycleExportResponse(string CycleId, ExportResponse Export);

/// <summary>The states of a cycle, and which of them are final.</summary>
public static class CycleStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Stopping = "stopping";
    public const string Stopped = "stopped";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string BudgetExhausted = "budget_exhausted";

    public static readonly string[] All = [Pending, Running, Stopping, Stopped, Completed, Failed, BudgetExhausted];

    public static bool IsTerminal(string status) => status is Stopped or Completed or Failed or BudgetExhausted;
}
