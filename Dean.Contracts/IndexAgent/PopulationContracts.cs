using Dean.Contracts.Evolution;

namespace Dean.Contracts.IndexAgent;

// The IndexAgent's population step (POST /api/v1/population/evolve): what the Orchestrator sends once per generation
// and what it reads back.

/// <param name="PopulationSize">The cycle's size: the population is held within its bounds (DESIGN section 5); without it, within <c>population_size_range</c>.</param>
/// <param name="ExplicitPopulation">Whether the size is that of an explicit <c>population_ids</c> list (a list smaller than the range keeps [n, 2n]).</param>
public sealed record PopulationEvolveRequest(string[]? PopulationIds, string? CycleId, int? Generation, int[]? CaRules, double? DiversityThreshold,
    int? PopulationSize = null, bool? ExplicitPopulation = null);

public sealed record SpawnedAgent(string AgentId, string ParentId, string FiredAt, bool Refill, int Generation, int Level, string BaseCommit, Genome Genome);

public sealed record ForkedAgent(string AgentId, string ForkedFrom, int Generation, string BaseCommit, Genome Genome, Genome ParentGenome);

public sealed record RetiredAgent(string AgentId, string Reason, long TokensReturned);

public sealed record CrossoverDone(string AgentId, string PartnerId, double SelfWeight, Genome Genome);

public sealed record SkippedDone(int Rule, string AgentId, string Reason);

public sealed record DiscoveredPattern(string PatternId, string Type, int UsageCount, bool New, string? CandidateId);

public sealed record StepIntervention(string Kind, string AgentId, double Strength, string Reason, string? RelatedAgentId, string? PatternId);

public sealed record PopulationEvolveResponse(
    string? CycleId, int Generation, Dictionary<string, int> CaRulesFired, IReadOnlyList<SpawnedAgent> Spawned, IReadOnlyList<ForkedAgent> Forked,
    IReadOnlyList<RetiredAgent> Retired, IReadOnlyList<CrossoverDone> Crossovers, double DiversityBefore, double DiversityAfter,
    IReadOnlyList<StepIntervention> Interventions, IReadOnlyList<DiscoveredPattern> PatternsDiscovered, IReadOnlyList<SkippedDone> Skipped,
    IReadOnlyList<string> Population, bool Replayed);
