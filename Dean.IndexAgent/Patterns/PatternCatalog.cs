namespace Dean.IndexAgent.Patterns;

/// <summary>An accepted change seen by pattern discovery.</summary>
/// <param name="ScoreGain">The candidate's score minus the agent's previous fitness.</param>
public sealed record PatternDiscovery(
    NormalizedDiff Diff,
    string Type,
    string DiscoveredBy,
    int Generation,
    double ScoreGain,
    DateTimeOffset SeenAt);

/// <summary>A catalogued pattern (DESIGN section 7).</summary>
/// <param name="Effectiveness">Mean score gain over every accepted change with this hash.</param>
/// <param name="Confidence">usage / (usage + 1): grows with evidence, never reaches 1.</param>
/// <param name="Template">JSON of the <see cref="PatternTemplate"/> used to apply it elsewhere.</param>
public sealed record CataloguedPattern(
    string Id,
    string Hash,
    string Type,
    string Name,
    string Description,
    string NormalizedDiff,
    string Template,
    double Effectiveness,
    double Confidence,
    string DiscoveredBy,
    int Generation,
    int UsageCount,
    DateTimeOffset DiscoveredAt,
    DateTimeOffset LastUsedAt,
    bool Archived = false);

/// <summary>The outcome of recording a discovery: the pattern as it now stands, and whether it is new.</summary>
public sealed record PatternObservation(CataloguedPattern Pattern, bool IsNew);

/// <summary>
/// Reuse counting and archive selection. The same hash is one pattern: the first sighting creates it with
/// usage 1, every later sighting adds 1 to its usage, updates <c>last_used_at</c> and folds the gain into its
/// effectiveness. The static functions are the semantics; the instance is an in-memory catalogue over them
/// (the service keeps the same rows in PostgreSQL).
/// </summary>
public sealed class PatternCatalog(Func<int, string>? idFactory = null)
{
    private readonly Dictionary<string, CataloguedPattern> byHash = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> hashById = new(StringComparer.Ordinal);
    private readonly Func<int, string> nextId = idFactory ?? (n => $"pattern_{n:D3}");

    public IReadOnlyCollection<CataloguedPattern> Patterns => byHash.Values;

    public CataloguedPattern? Find(string id) =>
        hashById.TryGetValue(id, out var hash) ? byHash[hash] : null;

    public CataloguedPattern? FindByHash(string hash) => byHash.GetValueOrDefault(hash);

    /// <summary>Record an accepted change. An empty change (whitespace-only) is not a pattern.</summary>
    public PatternObservation Observe(PatternDiscovery discovery)
    {
        if (discovery.Diff.IsEmpty)
            throw new ArgumentException("An empty change is not a pattern.", nameof(discovery));
        var hash = PatternHasher.Hash(discovery.Diff);
        if (byHash.TryGetValue(hash, out var existing))
        {
            var reused = Reuse(existing, discovery.ScoreGain, discovery.SeenAt);
            byHash[hash] = reused;
            return new PatternObservation(reused, false);
        }
        var created = Create(nextId(byHash.Count + 1), discovery);
        byHash[hash] = created;
        hashById[created.Id] = hash;
        return new PatternObservation(created, true);
    }

    /// <summary>Archive and return the ids of patterns selected by <see cref="SelectForArchive"/>.</summary>
    public IReadOnlyList<string> Archive(DateTimeOffset now, int olderThanDays, int minUsage)
    {
        var selected = SelectForArchive(byHash.Values, now, olderThanDays, minUsage);
        foreach (var pattern in selected)
            byHash[pattern.Hash] = pattern with { Archived = true };
        return selected.Select(p => p.Id).ToArray();
    }

    /// <summary>A new pattern from its first sighting.</summary>
    public static CataloguedPattern Create(string id, PatternDiscovery discovery)
    {
        var hash = PatternHasher.Hash(discovery.Diff);
        return new CataloguedPattern(
            id,
            hash,
            discovery.Type,
            $"{discovery.Type}-{hash[..8]}",
            Describe(discovery.Diff),
            discovery.Diff.Text,
            PatternTemplate.From(discovery.Diff).ToJson(),
            discovery.ScoreGain,
            Confidence(1),
            discovery.DiscoveredBy,
            discovery.Generation,
            1,
            discovery.SeenAt,
            discovery.SeenAt);
    }

    /// <summary>Another sighting of an existing pattern: usage + 1, running mean of the gain, last used now.</summary>
    public static CataloguedPattern Reuse(CataloguedPattern pattern, double scoreGain, DateTimeOffset seenAt)
    {
        var usage = pattern.UsageCount + 1;
        return pattern with
        {
            UsageCount = usage,
            Effectiveness = pattern.Effectiveness + (scoreGain - pattern.Effectiveness) / usage,
            Confidence = Confidence(usage),
            LastUsedAt = seenAt > pattern.LastUsedAt ? seenAt : pattern.LastUsedAt,
        };
    }

    public static double Confidence(int usageCount) => usageCount <= 0 ? 0.0 : usageCount / (usageCount + 1.0);

    /// <summary>Unarchived patterns discovered more than <paramref name="olderThanDays"/> days before <paramref name="now"/> with usage below <paramref name="minUsage"/>.</summary>
    public static IReadOnlyList<CataloguedPattern> SelectForArchive(
        IEnumerable<CataloguedPattern> patterns, DateTimeOffset now, int olderThanDays, int minUsage)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(olderThanDays);
        var cutoff = now - TimeSpan.FromDays(olderThanDays);
        return patterns
            .Where(p => !p.Archived && p.DiscoveredAt < cutoff && p.UsageCount < minUsage)
            .OrderBy(p => p.DiscoveredAt).ThenBy(p => p.Id, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>A one-line human description of the change.</summary>
    public static string Describe(NormalizedDiff diff)
    {
        var first = diff.Hunks.FirstOrDefault();
        var example = first is null ? "" :
            first.Removed.Count > 0 && first.Added.Count > 0 ? $": '{first.Removed[0].Shape}' → '{first.Added[0].Shape}'"
            : first.Added.Count > 0 ? $": adds '{first.Added[0].Shape}'"
            : first.Removed.Count > 0 ? $": removes '{first.Removed[0].Shape}'" : "";
        return $"{diff.RemovedLineCount} line(s) removed, {diff.AddedLineCount} added in {diff.Hunks.Count} hunk(s){example}";
    }
}
