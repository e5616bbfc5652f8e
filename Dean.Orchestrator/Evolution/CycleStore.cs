using System.Text.Json;
using Dapper;
using Npgsql;

namespace Dean.Orchestrator.Evolution;

/// <summary>An agent that already belongs to a cycle that has not ended.</summary>
public sealed record BusyAgent(string AgentId, string CycleId)
{
    public string Detail => $"agent '{AgentId}' belongs to {CycleId}, which has not ended";
}

/// <summary>The cycle created, or the agent that kept it from being created.</summary>
public sealed record CycleCreation(Cycle? Created, BusyAgent? Busy);

/// <summary>A cycle as stored (materialised by Dapper through its setters).</summary>
public sealed record Cycle
{
    public string Id { get; init; } = "";
    public string Status { get; init; } = "";
    public string? Target { get; init; }
    public string[] PopulationIds { get; init; } = [];
    public int? RequestedPopulation { get; init; }

    /// <summary>The size the population is held at: the requested size, or the count of the population ids the cycle started with.</summary>
    public int PopulationSize { get; init; }
    public int TotalGenerations { get; init; }
    public int CurrentGeneration { get; init; }
    public long TokenBudget { get; init; }
    public long TokensConsumed { get; init; }
    public int[] CaRules { get; init; } = [];
    public double DiversityThreshold { get; init; }
    public int PatternsDiscovered { get; init; }
    public double? PopulationDiversity { get; init; }
    public double? BestScore { get; init; }
    public string? BestAgentId { get; init; }
    public string? Error { get; init; }
    public string CreatedBy { get; init; } = "";
    public DateTime CreatedAt { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? EndedAt { get; init; }

    /// <summary>The economy account that is this cycle's budget pool.</summary>
    public string Pool => $"cycle:{Id}";
}

public sealed record GenerationRecord(
    int Generation, double? BestScore, double? MeanScore, double? Diversity, int Accepted, int Evaluations, long Tokens,
    Dictionary<string, int> CaRulesFired, DateTime StartedAt, DateTime CompletedAt);

/// <param name="EditKind">The kind of edit the candidate made (null when the step made none).</param>
/// <param name="Evaluation">How the evaluation ended (<c>passed</c>, <c>failed</c>, …), <c>check_failed</c> when the validity gate stopped it, <c>skipped</c> when nothing ran.</param>
/// <param name="Stage">The evaluation stage the candidate reached (null: it never reached the evaluator).</param>
public sealed record StepRecord(string AgentId, string? CandidateId, bool Accepted, double? Score, long TokensUsed, string? Reason, string? EditKind, string? Evaluation,
    int? Stage = null)
{
    // Dapper materialises through this constructor; the column types (float8 may be null) must match exactly.
    private StepRecord() : this("", null, false, null, 0, null, null, null) { }

    /// <summary>The last stage of a step's stages, when it ran any.</summary>
    public static int? Reached(IReadOnlyList<Dean.Contracts.IndexAgent.StageResult>? stages) => stages is { Count: > 0 } ? stages.Max(s => s.Stage) : null;

    /// <summary>Whether the candidate reached the evaluator: only those count as evaluations.</summary>
    public bool Evaluated => Evaluation is not (null or Clients.IndexAgentClient.SkippedEvaluation or "check_failed");
}

/// <summary>Cycles, their completed generations and steps in PostgreSQL: the source of truth a resumed job continues from.</summary>
public sealed class CycleStore(NpgsqlDataSource db)
{
    private const string Columns = """
        id, status, target, population_ids AS populationids, requested_population AS requestedpopulation, population_size AS populationsize,
        total_generations AS totalgenerations,
        current_generation AS currentgeneration, token_budget AS tokenbudget, tokens_consumed AS tokensconsumed,
        ca_rules AS carules, diversity_threshold AS diversitythreshold, patterns_discovered AS patternsdiscovered,
        population_diversity AS populationdiversity, best_score AS bestscore, best_agent_id AS bestagentid, error,
        created_by AS createdby, created_at AS createdat, started_at AS startedat, ended_at AS endedat
        """;

    /// <summary>
    /// Creates a pending cycle, unless one of <paramref name="populationIds"/> belongs to a cycle that has not ended:
    /// then nothing is created and the busy agent is named. One lock serialises the check and the insert, so two starts
    /// racing for the same agent cannot both pass.
    /// </summary>
    public async Task<CycleCreation> CreateAsync(string? target, IReadOnlyList<string> populationIds, int? requestedPopulation, int generations, long tokenBudget,
        IReadOnlyList<int> caRules, double diversityThreshold, string createdBy, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtext('dean:cycle-membership'))", transaction: tx);
        var busy = await connection.QueryFirstOrDefaultAsync<BusyAgent>("""
            SELECT member AS agentid, c.id AS cycleid
            FROM cycles c, unnest(c.population_ids) AS member
            WHERE c.status IN ('pending', 'running', 'stopping') AND member = ANY(@populationIds)
            ORDER BY c.created_at LIMIT 1
            """, new { populationIds = populationIds.ToArray() }, tx);
        if (busy is not null) return new CycleCreation(null, busy);
        var cycle = await connection.QuerySingleAsync<Cycle>($"""
            INSERT INTO cycles (id, status, target, population_ids, requested_population, population_size, total_generations, token_budget, ca_rules,
                                diversity_threshold, created_by)
            VALUES ('cycle_' || lpad(nextval('cycle_number_seq')::text, 3, '0'), 'pending', @target, @populationIds, @requestedPopulation,
                    coalesce(@requestedPopulation, @size), @generations,
                    @tokenBudget, @caRules, @diversityThreshold, @createdBy)
            RETURNING {Columns}
            """, new { target, populationIds = populationIds.ToArray(), requestedPopulation, size = Math.Max(1, populationIds.Count), generations, tokenBudget,
                caRules = caRules.ToArray(), diversityThreshold, createdBy }, tx);
        await tx.CommitAsync(ct);
        return new CycleCreation(cycle, null);
    }

    public async Task<Cycle?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Cycle>($"SELECT {Columns} FROM cycles WHERE id = @id", new { id });
    }

    public async Task<IReadOnlyList<Cycle>> ListAsync(string? status, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Cycle>(
            $"SELECT {Columns} FROM cycles WHERE (@status::text IS NULL OR status = @status) ORDER BY created_at DESC LIMIT @limit",
            new { status, limit })).AsList();
    }

    public async Task<IReadOnlyList<GenerationRecord>> GenerationsAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(int Generation, double? BestScore, double? MeanScore, double? Diversity, int Accepted, int Evaluations, long Tokens, string CaRulesFired, DateTime StartedAt, DateTime CompletedAt)>("""
            SELECT generation, best_score, mean_score, diversity, accepted, evaluations, tokens, ca_rules_fired::text, started_at, completed_at
            FROM cycle_generations WHERE cycle_id = @id ORDER BY generation
            """, new { id });
        return rows.Select(r => new GenerationRecord(r.Generation, r.BestScore, r.MeanScore, r.Diversity, r.Accepted, r.Evaluations, r.Tokens,
            JsonSerializer.Deserialize<Dictionary<string, int>>(r.CaRulesFired) ?? [], r.StartedAt, r.CompletedAt)).ToList();
    }

    public async Task<IReadOnlyList<StepRecord>> StepsAsync(string id, int generation, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<StepRecord>("""
            SELECT agent_id AS agentid, candidate_id AS candidateid, accepted, score, tokens_used AS tokensused, reason, edit_kind AS editkind, evaluation
            FROM cycle_steps WHERE cycle_id = @id AND generation = @generation
            """, new { id, generation })).AsList();
    }

    public async Task RecordStepAsync(string id, int generation, StepRecord step, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("""
            INSERT INTO cycle_steps (cycle_id, generation, agent_id, candidate_id, accepted, score, tokens_used, reason, edit_kind, evaluation, stage)
            VALUES (@id, @generation, @AgentId, @CandidateId, @Accepted, @Score, @TokensUsed, @Reason, @EditKind, @Evaluation, @Stage)
            ON CONFLICT DO NOTHING
            """, new { id, generation, step.AgentId, step.CandidateId, step.Accepted, step.Score, step.TokensUsed, step.Reason, step.EditKind, step.Evaluation, step.Stage });
    }

    /// <summary>Per kind of edit: how many were proposed, stopped by the validity gate, evaluated and accepted in the cycle.</summary>
    public async Task<Dictionary<string, EditKindStats>> EditKindsAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Kind, int Proposed, int CheckFailed, int Evaluated, int Accepted)>("""
            SELECT edit_kind, count(*)::int,
                   count(*) FILTER (WHERE evaluation = 'check_failed')::int,
                   count(*) FILTER (WHERE evaluation NOT IN ('skipped', 'check_failed'))::int,
                   count(*) FILTER (WHERE accepted)::int
            FROM cycle_steps WHERE cycle_id = @id AND edit_kind IS NOT NULL AND edit_kind <> 'none'
            GROUP BY edit_kind ORDER BY edit_kind
            """, new { id });
        return rows.ToDictionary(r => r.Kind, r => new EditKindStats(r.Proposed, r.CheckFailed, r.Evaluated, r.Accepted));
    }

    /// <summary>Candidates per evaluation stage they reached (a candidate stopped at stage 1 counts under "1").</summary>
    public async Task<Dictionary<string, int>> StagesAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(int Stage, int Count)>(
            "SELECT stage, count(*)::int FROM cycle_steps WHERE cycle_id = @id AND stage IS NOT NULL GROUP BY stage ORDER BY stage", new { id });
        return rows.ToDictionary(r => r.Stage.ToString(System.Globalization.CultureInfo.InvariantCulture), r => r.Count);
    }

    /// <summary>Moves a cycle to running (recording when it first started); false when it is already terminal or stopping.</summary>
    public async Task<bool> MarkRunningAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(
            "UPDATE cycles SET status = 'running', started_at = coalesce(started_at, now()) WHERE id = @id AND status IN ('pending', 'running')",
            new { id }) == 1;
    }

    /// <summary>
    /// Persists a completed generation and advances the cycle in one transaction. The primary key on
    /// (cycle, generation) and the <c>current_generation = generation - 1</c> guard make a generation count once.
    /// </summary>
    public async Task<bool> CompleteGenerationAsync(string id, GenerationRecord generation, string[] populationIds, int patternsDiscovered,
        double? bestScore, string? bestAgentId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var advanced = await connection.ExecuteAsync("""
            UPDATE cycles SET current_generation = @Generation, tokens_consumed = tokens_consumed + @Tokens,
                population_ids = @populationIds, patterns_discovered = patterns_discovered + @patternsDiscovered,
                population_diversity = @Diversity,
                best_score = CASE WHEN @bestScore IS NOT NULL AND (best_score IS NULL OR @bestScore >= best_score) THEN @bestScore ELSE best_score END,
                best_agent_id = CASE WHEN @bestScore IS NOT NULL AND (best_score IS NULL OR @bestScore >= best_score) THEN @bestAgentId ELSE best_agent_id END
            WHERE id = @id AND current_generation = @Generation - 1
            """, new { id, generation.Generation, generation.Tokens, populationIds, patternsDiscovered, generation.Diversity, bestScore, bestAgentId }, tx);
        if (advanced != 1) return false;
        await connection.ExecuteAsync("""
            INSERT INTO cycle_generations (cycle_id, generation, best_score, mean_score, diversity, accepted, evaluations, tokens, ca_rules_fired, started_at)
            VALUES (@id, @Generation, @BestScore, @MeanScore, @Diversity, @Accepted, @Evaluations, @Tokens, @caRulesFired::jsonb, @StartedAt)
            """, new { id, generation.Generation, generation.BestScore, generation.MeanScore, generation.Diversity, generation.Accepted,
                generation.Evaluations, generation.Tokens, caRulesFired = JsonSerializer.Serialize(generation.CaRulesFired), generation.StartedAt }, tx);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Asks a cycle to stop; true when it was pending or running.</summary>
    public async Task<bool> RequestStopAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(
            "UPDATE cycles SET status = 'stopping' WHERE id = @id AND status IN ('pending', 'running')", new { id }) == 1;
    }

    public async Task<string?> StatusAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<string?>("SELECT status FROM cycles WHERE id = @id", new { id });
    }

    /// <summary>Ends a cycle once: the first terminal status wins.</summary>
    public async Task<bool> EndAsync(string id, string status, string? error, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync("""
            UPDATE cycles SET status = @status, error = @error, ended_at = now()
            WHERE id = @id AND status NOT IN ('stopped', 'completed', 'failed', 'budget_exhausted')
            """, new { id, status, error }) == 1;
    }

    public async Task UpdatePopulationAsync(string id, string[] populationIds, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("UPDATE cycles SET population_ids = @populationIds WHERE id = @id", new { id, populationIds });
    }

    /// <summary>Cycles that should be running: used at start-up to re-enqueue work a crashed process left behind.</summary>
    public async Task<IReadOnlyList<string>> UnfinishedAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<string>("SELECT id FROM cycles WHERE status IN ('pending', 'running', 'stopping')")).AsList();
    }

    /// <summary>
    /// Holds a session advisory lock for the cycle on a dedicated connection while the job runs, so one cycle id never
    /// runs twice at once, even across orchestrator replicas. Null when another worker holds it.
    /// </summary>
    public async Task<IAsyncDisposable?> TryLockAsync(string id, CancellationToken ct)
    {
        var connection = await db.OpenConnectionAsync(ct);
        var key = LockKey(id);
        if (await connection.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@key)", new { key }))
            return new CycleLock(connection, key);
        await connection.DisposeAsync();
        return null;
    }

    private static long LockKey(string id) =>
        BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("dean-cycle:" + id)), 0);

    private sealed class CycleLock(NpgsqlConnection connection, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key });
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
