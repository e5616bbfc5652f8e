using System.Text.Json;
using Dapper;
using Dean.IndexAgent.Evolution;
using Npgsql;

namespace Dean.IndexAgent.Agents;

/// <summary>Agents and candidates in PostgreSQL (the source of truth; Redis only mirrors the live registry).</summary>
public sealed class AgentStore(NpgsqlDataSource db)
{
    private static readonly JsonSerializerOptions Json = Microsoft.Extensions.Hosting.Extensions.DeanJson;

    private const string AgentColumns = """
        id, name, goal, target, genome::text AS genome, parent_ids, generation, level, status, retirement_reason, worktree_path,
        branch, base_commit, head_commit, fitness, token_efficiency, diversity_score, token_budget, tokens_used, cycle_id,
        allocation_id, last_feedback, steps, created_at, updated_at, retired_at, steps_since_accept, current_feedback
        """;

    private const string CandidateColumns = """
        id, agent_id, cycle_id, generation, operator, edit_kind, description, seed, diff, files_changed, lines_added,
        lines_removed, tokens_reserved, tokens_used, evaluation_ms, duration_ms, score, previous_fitness, metrics::text AS metrics,
        feedback, evaluation, accepted, reason, commit_sha, created_at, stages::text AS stages
        """;

    public async Task<string> NextIdAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var next = await connection.ExecuteScalarAsync<long>("SELECT nextval('agent_id_seq')");
        return $"agent_{next:D3}";
    }

    public async Task InsertAsync(Agent a, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("""
            INSERT INTO agents (id, name, goal, target, genome, parent_ids, generation, level, status, worktree_path, branch,
                                base_commit, head_commit, fitness, token_budget, cycle_id, allocation_id, last_feedback, current_feedback)
            VALUES (@Id, @Name, @Goal, @Target, @genome::jsonb, @ParentIds, @Generation, @Level, @Status, @WorktreePath, @Branch,
                    @BaseCommit, @HeadCommit, @Fitness, @TokenBudget, @CycleId, @AllocationId, @LastFeedback, @CurrentFeedback)
            """, new
        {
            a.Id, a.Name, a.Goal, a.Target, genome = JsonSerializer.Serialize(a.Genome, Json), a.ParentIds, a.Generation, a.Level, a.Status,
            a.WorktreePath, a.Branch, a.BaseCommit, a.HeadCommit, a.Fitness, a.TokenBudget, a.CycleId, a.AllocationId, a.LastFeedback, a.CurrentFeedback,
        });
    }

    public async Task<Agent?> FindAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<AgentRow>($"SELECT {AgentColumns} FROM agents WHERE id = @id", new { id }))?.ToAgent();
    }

    public async Task<IReadOnlyList<Agent>> FindManyAsync(IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<AgentRow>($"SELECT {AgentColumns} FROM agents WHERE id = ANY(@ids)", new { ids = ids.ToArray() })).Select(r => r.ToAgent()).ToList();
    }

    public async Task<(IReadOnlyList<Agent> Agents, long Total)> ListAsync(string? status, int limit, int offset, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<AgentRow>(
            $"SELECT {AgentColumns} FROM agents WHERE @status::text IS NULL OR status = @status ORDER BY id LIMIT @limit OFFSET @offset",
            new { status, limit, offset });
        var total = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM agents WHERE @status::text IS NULL OR status = @status", new { status });
        return (rows.Select(r => r.ToAgent()).ToList(), total);
    }

    public async Task<IReadOnlyList<(string Id, string Status)>> StatusesAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(string, string)>("SELECT id, status FROM agents")).ToList();
    }

    public async Task<long> CountActiveAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM agents WHERE status = 'active'");
    }

    public async Task SetTokenBudgetAsync(string id, long tokenBudget, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("UPDATE agents SET token_budget = @tokenBudget, updated_at = now() WHERE id = @id", new { id, tokenBudget });
    }

    public async Task SetStatusAsync(string id, string status, string? reason, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("""
            UPDATE agents SET status = @status, retirement_reason = COALESCE(@reason, retirement_reason), updated_at = now(),
                              retired_at = CASE WHEN @status IN ('retired', 'terminated') THEN now() ELSE retired_at END
            WHERE id = @id
            """, new { id, status, reason });
    }

    public async Task SetGenomeAsync(string id, Genome genome, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("UPDATE agents SET genome = @genome::jsonb, updated_at = now() WHERE id = @id",
            new { id, genome = JsonSerializer.Serialize(genome, Json) });
    }

    /// <summary>Whether any agent of <paramref name="target"/> has had this program evaluated (or proposed) before.</summary>
    public async Task<bool> IsKnownProgramAsync(string target, string programHash, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM candidates c JOIN agents a ON a.id = c.agent_id WHERE c.program_hash = @programHash AND a.target = @target)
            """, new { target, programHash }, cancellationToken: ct));
    }

    /// <summary>
    /// Per strategy, of the target's last <see cref="StrategyCredit.Window"/> candidates whose edit was written (gated or
    /// evaluated): how many there were and how many were accepted.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, StrategyEvidence>> StrategyEvidenceAsync(string target, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Strategy, long Tried, long Paid)>(new CommandDefinition("""
            SELECT strategy, count(*), count(*) FILTER (WHERE accepted)
            FROM (SELECT c.strategy, c.accepted FROM candidates c JOIN agents a ON a.id = c.agent_id
                  WHERE a.target = @target AND c.strategy IS NOT NULL AND c.evaluation <> 'skipped'
                  ORDER BY c.id DESC LIMIT @window) recent
            GROUP BY strategy
            """, new { target, window = StrategyCredit.Window }, cancellationToken: ct));
        return rows.ToDictionary(r => r.Strategy, r => new StrategyEvidence((int)r.Tried, (int)r.Paid), StringComparer.Ordinal);
    }

    /// <summary>The active agents of a cycle: created for it, or stepping in it.</summary>
    public async Task<IReadOnlyList<Agent>> ActiveInCycleAsync(string cycleId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<AgentRow>(new CommandDefinition($"""
            SELECT {AgentColumns} FROM agents
            WHERE status = 'active' AND (cycle_id = @cycleId OR id IN (SELECT DISTINCT agent_id FROM candidates WHERE cycle_id = @cycleId))
            ORDER BY created_at, id
            """, new { cycleId }, cancellationToken: ct))).Select(r => r.ToAgent()).ToList();
    }

    /// <summary>
    /// A stagnation answer: a new genome, and optionally a restart from another commit with that commit's fitness. The
    /// agent counts as fresh again (no steps since an accepted candidate).
    /// </summary>
    /// <param name="currentFeedback">With <paramref name="headCommit"/>: the evaluator's feedback on that program.</param>
    public async Task ReviveAsync(string id, Genome genome, string? headCommit, double? fitness, CancellationToken ct, string? currentFeedback = null)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("""
            UPDATE agents SET genome = @genome::jsonb, steps_since_accept = 0, updated_at = now(),
                              head_commit = COALESCE(@headCommit, head_commit),
                              fitness = CASE WHEN @headCommit::text IS NULL THEN fitness ELSE @fitness END,
                              current_feedback = CASE WHEN @headCommit::text IS NULL THEN current_feedback ELSE @currentFeedback END
            WHERE id = @id
            """, new { id, genome = JsonSerializer.Serialize(genome, Json), headCommit, fitness, currentFeedback });
    }

    /// <summary>
    /// Records a candidate and applies its outcome to the agent atomically: one statement (a data-modifying CTE), so one
    /// round trip on the hot path of every step.
    /// </summary>
    public async Task<long> RecordStepAsync(Candidate c, string? programHash, string? strategy, double? fitness, string headCommit, double efficiency, Genome genome, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long>("""
            WITH inserted AS (
                INSERT INTO candidates (agent_id, cycle_id, generation, operator, edit_kind, description, seed, diff, files_changed,
                                        lines_added, lines_removed, tokens_reserved, tokens_used, evaluation_ms, duration_ms, score,
                                        previous_fitness, metrics, feedback, evaluation, accepted, reason, commit_sha, program_hash, strategy, stages)
                VALUES (@AgentId, @CycleId, @Generation, @Operator, @EditKind, @Description, @Seed, @Diff, @FilesChanged,
                        @LinesAdded, @LinesRemoved, @TokensReserved, @TokensUsed, @EvaluationMs, @DurationMs, @Score,
                        @PreviousFitness, @Metrics::jsonb, @Feedback, @Evaluation, @Accepted, @Reason, @CommitSha, @programHash, @strategy, @Stages::jsonb)
                RETURNING id),
            updated AS (
                UPDATE agents SET fitness = @fitness, head_commit = @headCommit, token_efficiency = @efficiency, genome = @genome::jsonb,
                                  tokens_used = tokens_used + @TokensUsed, last_feedback = @lastFeedback,
                                  current_feedback = CASE WHEN @Accepted THEN @Feedback ELSE current_feedback END, steps = steps + 1, updated_at = now(),
                                  steps_since_accept = CASE WHEN @Accepted THEN 0 ELSE steps_since_accept + 1 END
                WHERE id = @AgentId)
            SELECT id FROM inserted
            """, new
        {
            c.AgentId, c.CycleId, c.Generation, c.Operator, c.EditKind, c.Description, c.Seed, c.Diff, c.FilesChanged, c.LinesAdded,
            c.LinesRemoved, c.TokensReserved, c.TokensUsed, c.EvaluationMs, c.DurationMs, c.Score, c.PreviousFitness, c.Metrics, c.Feedback,
            c.Evaluation, c.Accepted, c.Reason, c.CommitSha, c.Stages, programHash, strategy, fitness, headCommit, efficiency, lastFeedback = c.Feedback ?? c.Reason,
            genome = JsonSerializer.Serialize(genome, Json),
        });
    }

    public async Task<(IReadOnlyList<Candidate> Candidates, long Total)> CandidatesAsync(string agentId, int limit, int offset, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<CandidateRow>(
            $"SELECT {CandidateColumns} FROM candidates WHERE agent_id = @agentId ORDER BY id LIMIT @limit OFFSET @offset", new { agentId, limit, offset });
        var total = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM candidates WHERE agent_id = @agentId", new { agentId });
        return (rows.Select(r => r.ToCandidate()).ToList(), total);
    }

    /// <summary>Every ancestor (through parent_ids) and every descendant of an agent.</summary>
    public async Task<(IReadOnlyList<Agent> Ancestors, IReadOnlyList<Agent> Descendants)> LineageAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var ancestors = await connection.QueryAsync<AgentRow>($"""
            WITH RECURSIVE up(id) AS (
                SELECT unnest(parent_ids) FROM agents WHERE id = @id
                UNION
                SELECT unnest(a.parent_ids) FROM agents a JOIN up ON a.id = up.id)
            SELECT {AgentColumns} FROM agents WHERE id IN (SELECT id FROM up) ORDER BY generation DESC, id
            """, new { id });
        var descendants = await connection.QueryAsync<AgentRow>($"""
            WITH RECURSIVE down(id) AS (
                SELECT a.id FROM agents a WHERE @id = ANY(a.parent_ids)
                UNION
                SELECT a.id FROM agents a JOIN down ON down.id = ANY(a.parent_ids))
            SELECT {AgentColumns} FROM agents WHERE id IN (SELECT id FROM down) ORDER BY generation, id
            """, new { id });
        return (ancestors.Select(r => r.ToAgent()).ToList(), descendants.Select(r => r.ToAgent()).ToList());
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private sealed class AgentRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Goal { get; set; } = "";
        public string Target { get; set; } = "";
        public string Genome { get; set; } = "";
        public string[] ParentIds { get; set; } = [];
        public int Generation { get; set; }
        public int Level { get; set; }
        public string Status { get; set; } = "";
        public string? RetirementReason { get; set; }
        public string WorktreePath { get; set; } = "";
        public string Branch { get; set; } = "";
        public string BaseCommit { get; set; } = "";
        public string HeadCommit { get; set; } = "";
        public double? Fitness { get; set; }
        public double TokenEfficiency { get; set; }
        public double? DiversityScore { get; set; }
        public long TokenBudget { get; set; }
        public long TokensUsed { get; set; }
        public string? CycleId { get; set; }
        public string? AllocationId { get; set; }
        public string? LastFeedback { get; set; }
        public int Steps { get; set; }
        public DateTime CreatedAt { get; set; }
        public DateTime UpdatedAt { get; set; }
        public DateTime? RetiredAt { get; set; }
        public int StepsSinceAccept { get; set; }
        public string? CurrentFeedback { get; set; }

        public Agent ToAgent() => new(Id, Name, Goal, Target, JsonSerializer.Deserialize<Genome>(Genome, Json)!, ParentIds, Generation, Level, Status,
            RetirementReason, WorktreePath, Branch, BaseCommit, HeadCommit, Fitness, TokenEfficiency, DiversityScore, TokenBudget, TokensUsed,
            CycleId, AllocationId, LastFeedback, Steps, Utc(CreatedAt), Utc(UpdatedAt), RetiredAt is { } r ? Utc(r) : null, StepsSinceAccept, CurrentFeedback);
    }

    private sealed class CandidateRow
    {
        public long Id { get; set; }
        public string AgentId { get; set; } = "";
        public string? CycleId { get; set; }
        public int Generation { get; set; }
        public string Operator { get; set; } = "";
        public string EditKind { get; set; } = "";
        public string Description { get; set; } = "";
        public int Seed { get; set; }
        public string Diff { get; set; } = "";
        public int FilesChanged { get; set; }
        public int LinesAdded { get; set; }
        public int LinesRemoved { get; set; }
        public long TokensReserved { get; set; }
        public long TokensUsed { get; set; }
        public long EvaluationMs { get; set; }
        public long DurationMs { get; set; }
        public double? Score { get; set; }
        public double? PreviousFitness { get; set; }
        public string? Metrics { get; set; }
        public string? Feedback { get; set; }
        public string Evaluation { get; set; } = "";
        public bool Accepted { get; set; }
        public string Reason { get; set; } = "";
        public string? CommitSha { get; set; }
        public DateTime CreatedAt { get; set; }
        public string? Stages { get; set; }

        public Candidate ToCandidate() => new(Id, AgentId, CycleId, Generation, Operator, EditKind, Description, Seed, Diff, FilesChanged, LinesAdded,
            LinesRemoved, TokensReserved, TokensUsed, EvaluationMs, DurationMs, Score, PreviousFitness, Metrics, Feedback, Evaluation, Accepted, Reason,
            CommitSha, Utc(CreatedAt), Stages);
    }
}
