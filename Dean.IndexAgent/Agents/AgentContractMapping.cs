using System.Text.Json;

namespace Dean.IndexAgent.Agents;

/// <summary>The IndexAgent's agents, steps and candidates as their HTTP contract (<see cref="Dean.Contracts.IndexAgent"/>) shows them.</summary>
public static class AgentContractMapping
{
    public static AgentResponse ToResponse(this Agent a) => new(a.Id, a.Name, a.Goal, a.Target, a.Status, new TokenBudget(a.TokenBudget, a.TokensUsed, a.TokensRemaining),
        a.Fitness, a.Generation, a.Level, a.Genome, a.ParentIds, a.WorktreePath, a.Branch, a.BaseCommit, a.HeadCommit, a.TokenEfficiency,
        a.DiversityScore, a.CycleId, a.RetirementReason, a.Steps, a.CreatedAt, a.UpdatedAt, a.RetiredAt);

    public static EvolveResponse ToResponse(this StepOutcome o)
    {
        var c = o.Candidate;
        return new(c.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), c.AgentId, c.Accepted, c.Score, c.PreviousFitness, o.Fitness, c.TokensUsed, c.TokensReserved, o.TokensRemaining, c.EvaluationMs,
            c.DurationMs, c.Reason, c.Evaluation, c.Operator, c.EditKind, c.Description, Stats(c),
            c.CommitSha, c.Feedback, c.Seed, c.CycleId, c.Generation, Round(o.Timings), Stages(c));
    }

    private static StepTimings Round(StepTimings t) => new(Math.Round(t.Prepare, 2), Math.Round(t.Reserve, 2), Math.Round(t.Propose, 2),
        Math.Round(t.Evaluate, 2), Math.Round(t.Settle, 2), Math.Round(t.Finish, 2), Math.Round(t.Record, 2));

    public static CandidateResponse ToResponse(this Candidate c) => new(c.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), c.AgentId, c.CycleId, c.Generation, c.Operator, c.EditKind, c.Description, c.Seed, c.Diff,
        Stats(c), c.TokensReserved, c.TokensUsed, c.EvaluationMs, c.DurationMs, c.Score,
        c.PreviousFitness, c.Metrics is null ? null : JsonDocument.Parse(c.Metrics).RootElement.Clone(), c.Feedback, c.Evaluation, c.Accepted, c.Reason,
        c.CommitSha, c.CreatedAt, Stages(c));

    private static IReadOnlyList<StageResult>? Stages(Candidate c) =>
        c.Stages is null ? null : JsonSerializer.Deserialize<List<StageResult>>(c.Stages, Microsoft.Extensions.Hosting.Extensions.DeanJson);

    private static DiffStats Stats(Candidate c) => new(c.FilesChanged, c.LinesAdded, c.LinesRemoved);
}
