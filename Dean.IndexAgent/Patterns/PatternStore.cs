using System.Data;
using System.Text.Json;
using Dapper;
using Dean.IndexAgent.Population;
using Npgsql;

namespace Dean.IndexAgent.Patterns;

/// <summary>A catalogued pattern as stored, with the accepted candidates it was seen in.</summary>
public sealed record StoredPattern(CataloguedPattern Pattern, long[] SourceCandidateIds, DateTimeOffset CreatedAt);

/// <summary>The outcome of cataloguing accepted candidates.</summary>
public sealed record DiscoveryOutcome(int Scanned, IReadOnlyList<StoredPattern> Discovered, IReadOnlyList<StoredPattern> Reused);

/// <summary>
/// The pattern catalogue in PostgreSQL (DESIGN section 7). Discovery catalogues accepted candidates exactly once each
/// (<c>candidates.catalogued_at</c>), under a transaction-scoped advisory lock, so concurrent or repeated runs never
/// count a change twice; the semantics of creation and reuse are <see cref="PatternCatalog"/>'s.
/// </summary>
public sealed class PatternStore(NpgsqlDataSource db, PopulationMetrics metrics, TimeProvider clock, ILogger<PatternStore> logger)
{
    private const long DiscoveryLock = 0x4445414e_50415454; // "DEANPATT"

    private const string Columns = """
        id, hash, type, name, description, normalized_diff, template::text AS template, effectiveness, confidence, discovered_by,
        generation, usage_count, last_used_at, archived, source_candidate_ids, created_at
        """;

    /// <summary>Catalogue accepted candidates not catalogued yet: all of them, or only <paramref name="candidateIds"/>.</summary>
    public async Task<DiscoveryOutcome> DiscoverAsync(IReadOnlyCollection<long>? candidateIds, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@DiscoveryLock)", new { DiscoveryLock }, tx);
        var rows = (await connection.QueryAsync<SourceRow>("""
            SELECT c.id, c.agent_id, c.generation, c.edit_kind, c.diff, c.score, c.previous_fitness, c.metrics::text AS metrics, c.created_at,
                   (SELECT p.metrics::text FROM candidates p WHERE p.agent_id = c.agent_id AND p.accepted AND p.id < c.id ORDER BY p.id DESC LIMIT 1) AS previous_metrics
            FROM candidates c
            WHERE c.accepted AND c.catalogued_at IS NULL AND (@all OR c.id = ANY(@ids))
            ORDER BY c.id
            """, new { all = candidateIds is null, ids = (candidateIds ?? []).ToArray() }, tx)).ToList();

        var discovered = new Dictionary<string, StoredPattern>(StringComparer.Ordinal);
        var reused = new Dictionary<string, StoredPattern>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var diff = DiffNormalizer.NormalizeUnifiedDiff(row.Diff);
            string? patternId = null;
            if (!diff.IsEmpty)
            {
                var type = PatternClassifier.Classify(new PatternEvidence(diff, row.EditKind == "crossover", Numbers(row.PreviousMetrics), Numbers(row.Metrics)));
                var gain = row.Score is { } s && row.PreviousFitness is { } p ? s - p : 0;
                var seenAt = new DateTimeOffset(DateTime.SpecifyKind(row.CreatedAt, DateTimeKind.Utc));
                var hash = PatternHasher.Hash(diff);
                var existing = (await connection.QuerySingleOrDefaultAsync<PatternRow>($"SELECT {Columns} FROM patterns WHERE hash = @hash FOR UPDATE", new { hash }, tx))?.ToStored();
                StoredPattern stored;
                if (existing is not null)
                {
                    var next = PatternCatalog.Reuse(existing.Pattern, gain, seenAt);
                    await connection.ExecuteAsync("""
                        UPDATE patterns SET usage_count = @UsageCount, effectiveness = @Effectiveness, confidence = @Confidence,
                                            last_used_at = @LastUsedAt, source_candidate_ids = array_append(source_candidate_ids, @candidate)
                        WHERE id = @Id
                        """, new { next.UsageCount, next.Effectiveness, next.Confidence, next.LastUsedAt, candidate = row.Id, next.Id }, tx);
                    stored = existing with { Pattern = next, SourceCandidateIds = [.. existing.SourceCandidateIds, row.Id] };
                    if (!discovered.ContainsKey(next.Id)) reused[next.Id] = stored;
                    else discovered[next.Id] = stored;
                }
                else
                {
                    var id = $"pattern_{await connection.ExecuteScalarAsync<long>("SELECT nextval('pattern_id_seq')", transaction: tx):D3}";
                    var created = PatternCatalog.Create(id, new PatternDiscovery(diff, type, row.AgentId, row.Generation, gain, seenAt));
                    await connection.ExecuteAsync("""
                        INSERT INTO patterns (id, hash, type, name, description, normalized_diff, template, effectiveness, confidence,
                                              discovered_by, generation, usage_count, last_used_at, source_candidate_ids, created_at)
                        VALUES (@Id, @Hash, @Type, @Name, @Description, @NormalizedDiff, @Template::jsonb, @Effectiveness, @Confidence,
                                @DiscoveredBy, @Generation, @UsageCount, @LastUsedAt, @sources, @created)
                        """, new
                    {
                        created.Id, created.Hash, created.Type, created.Name, created.Description, created.NormalizedDiff, created.Template,
                        created.Effectiveness, created.Confidence, created.DiscoveredBy, created.Generation, created.UsageCount, created.LastUsedAt,
                        sources = new[] { row.Id }, created = clock.GetUtcNow(),
                    }, tx);
                    stored = new StoredPattern(created, [row.Id], clock.GetUtcNow());
                    discovered[id] = stored;
                }
                patternId = stored.Pattern.Id;
            }
            await connection.ExecuteAsync("UPDATE candidates SET catalogued_at = now(), pattern_id = @patternId WHERE id = @id", new { patternId, id = row.Id }, tx);
        }
        await tx.CommitAsync(ct);
        foreach (var pattern in discovered.Values) metrics.PatternDiscovered(pattern.Pattern.Type);
        if (rows.Count > 0)
            logger.LogInformation("Pattern discovery: {Scanned} accepted candidates, {New} new patterns, {Reused} reused", rows.Count, discovered.Count, reused.Count);
        return new DiscoveryOutcome(rows.Count, discovered.Values.ToList(), reused.Values.ToList());
    }

    public async Task<(IReadOnlyList<StoredPattern> Patterns, long Total)> ListAsync(string? type, double? minEffectiveness, int limit, bool includeArchived, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        const string where = "WHERE (@type::text IS NULL OR type = @type) AND (@min::float8 IS NULL OR effectiveness >= @min) AND (@includeArchived OR NOT archived)";
        var args = new { type, min = minEffectiveness, includeArchived, limit };
        var rows = await connection.QueryAsync<PatternRow>($"SELECT {Columns} FROM patterns {where} ORDER BY effectiveness DESC, usage_count DESC, id LIMIT @limit", args);
        var total = await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM patterns {where}", args);
        return (rows.Select(r => r.ToStored()).ToList(), total);
    }

    public async Task<StoredPattern?> FindAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<PatternRow>($"SELECT {Columns} FROM patterns WHERE id = @id", new { id }))?.ToStored();
    }

    public async Task<IReadOnlyList<StoredPattern>> FindManyAsync(IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<PatternRow>($"SELECT {Columns} FROM patterns WHERE id = ANY(@ids)", new { ids = ids.ToArray() })).Select(r => r.ToStored()).ToList();
    }

    /// <summary>Archives what <see cref="PatternCatalog.SelectForArchive"/> selects; returns the archived ids.</summary>
    public async Task<IReadOnlyList<string>> ArchiveAsync(int olderThanDays, int minUsage, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var rows = (await connection.QueryAsync<PatternRow>($"SELECT {Columns} FROM patterns WHERE NOT archived FOR UPDATE", transaction: tx)).Select(r => r.ToStored().Pattern);
        var ids = PatternCatalog.SelectForArchive(rows, clock.GetUtcNow(), olderThanDays, minUsage).Select(p => p.Id).ToArray();
        if (ids.Length > 0) await connection.ExecuteAsync("UPDATE patterns SET archived = true WHERE id = ANY(@ids)", new { ids }, tx);
        await tx.CommitAsync(ct);
        return ids;
    }

    private static Dictionary<string, double>? Numbers(string? json)
    {
        if (json is null) return null;
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
        return doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).ToDictionary(p => p.Name, p => p.Value.GetDouble());
    }

    private sealed class SourceRow
    {
        public long Id { get; set; }
        public string AgentId { get; set; } = "";
        public int Generation { get; set; }
        public string EditKind { get; set; } = "";
        public string Diff { get; set; } = "";
        public double? Score { get; set; }
        public double? PreviousFitness { get; set; }
        public string? Metrics { get; set; }
        public string? PreviousMetrics { get; set; }
        public DateTime CreatedAt { get; set; }
    }

    private sealed class PatternRow
    {
        public string Id { get; set; } = "";
        public string Hash { get; set; } = "";
        public string Type { get; set; } = "";
        public string Name { get; set; } = "";
        public string Description { get; set; } = "";
        public string NormalizedDiff { get; set; } = "";
        public string Template { get; set; } = "";
        public double Effectiveness { get; set; }
        public double Confidence { get; set; }
        public string DiscoveredBy { get; set; } = "";
        public int Generation { get; set; }
        public int UsageCount { get; set; }
        public DateTime LastUsedAt { get; set; }
        public bool Archived { get; set; }
        public long[] SourceCandidateIds { get; set; } = [];
        public DateTime CreatedAt { get; set; }

        private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

        public StoredPattern ToStored() => new(
            new CataloguedPattern(Id, Hash, Type, Name, Description, NormalizedDiff, Template, Effectiveness, Confidence, DiscoveredBy, Generation,
                UsageCount, Utc(CreatedAt), Utc(LastUsedAt), Archived),
            SourceCandidateIds, Utc(CreatedAt));
    }
}
