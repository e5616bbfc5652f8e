namespace Dean.Contracts.IndexAgent;

// The IndexAgent's pattern catalogue, as far as other services read it.

public sealed record PatternResponse(
    string Id, string Hash, string Type, string Name, string Description, double Effectiveness, double Confidence, string DiscoveredBy,
    int Generation, int UsageCount, DateTimeOffset LastUsedAt, bool Archived, IReadOnlyList<string> SourceCandidateIds, DateTimeOffset CreatedAt);

public sealed record PatternListResponse(IReadOnlyList<PatternResponse> Patterns, long Total);

public sealed record DiscoverResponse(int Scanned, int Discovered, int Reused, IReadOnlyList<string> PatternIds);

public sealed record ArchiveRequest(int? OlderThanDays, int? MinUsage);

public sealed record ArchiveResponse(int Archived, IReadOnlyList<string> PatternIds);
