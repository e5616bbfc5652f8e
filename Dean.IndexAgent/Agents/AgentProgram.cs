using Dean.Contracts.IndexAgent;
using Dean.IndexAgent.Evaluation;
using Dean.IndexAgent.Operators;
using Dean.IndexAgent.Targets;
using Dean.IndexAgent.Workspace;

namespace Dean.IndexAgent.Agents;

/// <summary>An agent's evolved program as committed, and its score measured again (DESIGN section 9: a cycle's best).</summary>
public sealed class AgentProgram(AgentStore agents, TargetStore targets, AgentLocks locks, EvaluationRunner evaluator)
{
    /// <summary>Scores within this relative distance agree (evaluators print floats; a rounding is not a disagreement).</summary>
    public const double Tolerance = 1e-9;

    public async Task<ProgramResponse?> ReadAsync(string agentId, CancellationToken ct)
    {
        if (await agents.FindAsync(agentId, ct) is not { } agent || await targets.FindAsync(agent.Target, ct) is not { } target) return null;
        var scope = new EvolveScope(target.Task.Evolve);
        // The committed version: never a candidate a step is evaluating right now.
        var paths = (await GitCli.TrackedFilesAsync(agent.WorktreePath, ct)).Where(scope.InScope).Order(StringComparer.Ordinal);
        var files = (await GitCli.ShowFilesAsync(agent.WorktreePath, agent.HeadCommit, paths, ct)).Select(f => new ProgramFile(f.Path, f.Content)).ToList();
        return new ProgramResponse(agent.Id, target.Name, target.Task.Format, agent.HeadCommit, agent.Fitness, files);
    }

    /// <summary>Evaluates the committed program again in a fresh sandbox copy, between the agent's steps.</summary>
    public async Task<RescoreResponse?> RescoreAsync(string agentId, CancellationToken ct)
    {
        using var held = await locks.AcquireAsync(agentId, ct);
        if (await agents.FindAsync(agentId, ct) is not { } agent || await targets.FindAsync(agent.Target, ct) is not { } target) return null;
        var verdict = await evaluator.EvaluateAsync(agent.WorktreePath, target.Task, ct);
        return new RescoreResponse(agent.Id, agent.HeadCommit, agent.Fitness, verdict.Score, verdict.Passed,
            verdict is { Passed: true, Score: { } score } && Agree(score, agent.Fitness), verdict.Reason, verdict.Metrics);
    }

    public static bool Agree(double score, double? recorded) =>
        recorded is { } r && Math.Abs(score - r) <= Tolerance * Math.Max(1, Math.Abs(r));
}
