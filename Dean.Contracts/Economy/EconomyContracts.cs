namespace Dean.Contracts.Economy;

// The Economy's HTTP contract (/api/v1/economy, /api/v1/evolution), one definition for the server and its clients.
// Request fields are nullable so that the server can answer a missing field with a 400 rather than a default value.

public enum Priority { Low, Normal, High, Critical }

public sealed record AllocateRequest(string? AgentId, long? RequestedTokens, string? Priority, string? Purpose, string? From, string? IdempotencyKey,
    long? BaseTokens = null);

public sealed record AllocationResponse(string AgentId, long AllocatedTokens, long RequestedTokens, long RemainingBudget,
    long AllocationId, Priority Priority, string Source, long AgentAllocated);

public sealed record ReturnRequest(string? AgentId, string? To, string? IdempotencyKey);

/// <param name="ReturnedTo">What went back where: the global lot's unused tokens to <c>global</c>, the rest to <paramref name="To"/>.</param>
public sealed record ReturnResponse(string AgentId, long Returned, string To, long AgentAllocated, long Consumed, long Reserved, IReadOnlyDictionary<string, long> ReturnedTo);

/// <param name="Lots">The allocation by where it came from: the source's lot, and a <c>global</c> lot when an emergency
/// allocation funded an agent of a running cycle from the global budget.</param>
public sealed record AccountResponse(string AgentId, long Allocated, long Consumed, long Reserved, long Remaining, double Efficiency,
    string Status, string Source, long Suballocated, double ValueGenerated, DateTimeOffset LastActivityAt, IReadOnlyDictionary<string, long> Lots);

public sealed record LedgerRow(long Id, string AgentId, string Type, long Amount, long BalanceBefore, long BalanceAfter,
    string? Reference, string? IdempotencyKey, DateTimeOffset CreatedAt);

public sealed record TransactionsResponse(IReadOnlyList<LedgerRow> Transactions);

public sealed record AgentUsage(string AgentId, long Allocated, long Consumed);

public sealed record HourUsage(DateTimeOffset Hour, long Allocated, long Consumed);

public sealed record UsageResponse(int Hours, long TotalAllocated, long TotalConsumed, IReadOnlyList<AgentUsage> ByAgent, IReadOnlyList<HourUsage> ByHour);

public sealed record AgentEfficiency(string AgentId, double Efficiency, long Consumed, double ValueGenerated);

public sealed record EfficiencyResponse(int AgentsMeasured, IReadOnlyList<AgentEfficiency> TopPerformers, IReadOnlyList<AgentEfficiency> InefficientAgents);

public sealed record BudgetRequest(long? NewBudget, bool? ResetAllocations, string? IdempotencyKey);

public sealed record BudgetResponse(long GlobalBudget, long Allocated, long Consumed, long Reserved, long Available, long Reserve,
    int AgentsCount, double EfficiencyScore, DateTimeOffset LastReset);

public sealed record ReserveRequest(string? AgentId, long? Tokens, string? IdempotencyKey, int? TtlSeconds);

public sealed record ReservationResponse(Guid ReservationId, string AgentId, long Tokens, DateTimeOffset ExpiresAt);

public sealed record SettleRequest(Guid? ReservationId, long? ActualTokens, double? Value, string? IdempotencyKey);

public sealed record SettlementResponse(Guid ReservationId, string AgentId, long Charged, long Released, long AgentRemaining);

public sealed record ReleaseRequest(Guid? ReservationId, string? IdempotencyKey);

public sealed record ExpireResponse(int Expired, long ReleasedTokens, IReadOnlyList<Guid> ReservationIds);

public sealed record ReleaseAllResponse(int Released, long ReleasedTokens, IReadOnlyList<Guid> ReservationIds);

public sealed record LedgerPage(IReadOnlyList<LedgerRow> Transactions, long? NextAfterId);

public sealed record PruneRequest(long? ThroughId, DateTimeOffset? Before);

public sealed record PruneResponse(long PrunedRows, long PrunedIdempotencyKeys, long ThroughId, DateTimeOffset Before);

public sealed record GovernanceRequest(string? IdempotencyKey);

public sealed record DecayedAccount(string AgentId, long Amount, int IdleHours, string ReturnedTo);

public sealed record DecayResponse(IReadOnlyList<DecayedAccount> Decayed, long TotalDecayed);

public sealed record Transfer(string From, string To, long Amount);

public sealed record RebalanceResponse(IReadOnlyList<Transfer> Moves, long TotalMoved);

/// <summary>DESIGN 8 governance constraints; ranges are [min, max] inclusive.</summary>
public sealed record EvolutionConstraints(double MinDiversity, int MaxGenerations, long TokenLimitPerGeneration, long MaxTokensPerAgent,
    double[] MutationRateRange, int[] PopulationSizeRange)
{
    public static EvolutionConstraints Defaults { get; } = new(0.3, 100, 10_000, 50_000, [0.05, 0.3], [3, 50]);
}

public sealed record ConstraintsRequest(double? MinDiversity, int? MaxGenerations, long? TokenLimitPerGeneration, long? MaxTokensPerAgent,
    double[]? MutationRateRange, int[]? PopulationSizeRange, string? IdempotencyKey);

public sealed record ValidateRequest(int? PopulationSize, int? Generations, long? TokenBudget, double? MutationRate, double? CurrentDiversity);

public sealed record Violation(string Constraint, double Value, double Limit, string Message);

public sealed record ValidationResponse(bool Valid, IReadOnlyList<Violation> Violations, long EstimatedTokens);
