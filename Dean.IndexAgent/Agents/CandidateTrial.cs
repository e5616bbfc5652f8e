using System.Globalization;
using Dean.IndexAgent.Evaluation;
using Dean.IndexAgent.Evolution;
using Dean.IndexAgent.Operators;
using Dean.IndexAgent.Targets;
using Dean.IndexAgent.Workspace;

namespace Dean.IndexAgent.Agents;

/// <summary>What trying one candidate came to (DESIGN section 4, steps 2, 3 and the decision of 5).</summary>
/// <param name="Context">The context of the proposal that was tried (its seed is the last re-draw's).</param>
/// <param name="Refusal">Why nothing was written or run (the operator's failure, no change, an edit outside the scope).</param>
/// <param name="Gate">The validity gate's verdict, when the candidate was written.</param>
/// <param name="Verdict">The evaluator's verdict, when the gate let the candidate through.</param>
/// <param name="Fitness">The fitness the candidate was tried against.</param>
/// <param name="Improves">Passed, and scored above <paramref name="Fitness"/>.</param>
public sealed record TrialOutcome(
    ProposalContext Context, Proposal Proposal, string ProgramHash, long TokensUsed, string? Refusal, GateVerdict? Gate, EvaluationVerdict? Verdict,
    double? Fitness, bool Improves)
{
    public bool CheckFailed => Gate is { Passed: false };

    /// <summary>How the candidate's evaluation ended, as recorded: the evaluator's result, <c>check_failed</c>, or <c>skipped</c>.</summary>
    public string Evaluation => CheckFailed ? ValidityGate.Reason : Verdict?.Result.ToString().ToLowerInvariant() ?? "skipped";

    /// <summary>What the checker or the evaluator said of the candidate.</summary>
    public string? Feedback => CheckFailed ? Gate!.Message : Verdict?.Feedback;

    /// <summary>Why the candidate was accepted or not, in words.</summary>
    public string Reason
    {
        get
        {
            if (CheckFailed) return ValidityGate.Reason;
            if (Refusal is not null) return Refusal;
            if (Verdict is null) return "not evaluated";
            if (!Verdict.Passed) return Verdict.Reason ?? "rejected by the evaluator";
            var score = Verdict.Score!.Value.ToString("G6", CultureInfo.InvariantCulture);
            if (Fitness is null) return $"accepted: score {score} (no previous fitness)";
            var before = Fitness.Value.ToString("G6", CultureInfo.InvariantCulture);
            return Verdict.Score > Fitness ? $"accepted: score {score} > fitness {before}" : $"score {score} does not improve on fitness {before}";
        }
    }

    public StepVerdict Learning =>
        Improves ? StepVerdict.Accepted
        : CheckFailed ? StepVerdict.CheckFailed
        : Refusal is not null || Verdict is null ? StepVerdict.NoEdit
        : Verdict.Passed ? StepVerdict.NotImproved
        : StepVerdict.Broken;

    /// <summary>The agent's genome after learning from this outcome (<see cref="SearchAdaptation"/>).</summary>
    public Genome Learned(Genome genome) => SearchAdaptation.After(genome, Proposal.Strategy, Learning);
}

/// <summary>
/// The core of one evolution step, shared by <see cref="EvolutionStep"/> and the evolution benchmark: propose (re-drawing
/// a program already evaluated for the target when the operator allows), check the evolve scope, write the candidate
/// into the worktree, run the validity gate and then the evaluator. The caller restores or commits the worktree.
/// </summary>
public sealed class CandidateTrial(EvaluationRunner evaluator)
{
    public async Task<TrialOutcome> RunAsync(IMutationOperator op, ProposalContext context, int reservedTokens, EvolveScope scope, WorktreeEdit edit,
        string worktree, TaskFile task, double? fitness, Func<string, CancellationToken, Task<bool>> isKnownProgram, bool redrawKnownPrograms, CancellationToken ct)
    {
        var files = context.Files;
        var seed = context.Seed;
        var proposal = await op.ProposeAsync(context, reservedTokens, ct);
        var programHash = ProgramHash.Of(files, proposal.Changes);
        var redraws = redrawKnownPrograms ? op.KnownProgramRedraws : 0;
        for (var redraw = 1; redraw <= redraws && proposal.Failure is null && await isKnownProgram(programHash, ct); redraw++)
        {
            context = context with { Seed = seed + redraw };
            proposal = await op.ProposeAsync(context, reservedTokens, ct);
            programHash = ProgramHash.Of(files, proposal.Changes);
        }
        var tokensUsed = Math.Clamp(proposal.TokensUsed, 0, reservedTokens);
        var before = files.ToDictionary(f => f.Path, f => f.Content);
        var refusal = proposal.Failure ?? (proposal.Changes.Count == 0 ? "the operator proposed no change" : scope.Check(before, proposal.Changes));

        GateVerdict? gate = null;
        EvaluationVerdict? verdict = null;
        if (refusal is null)
        {
            foreach (var (path, content) in proposal.Changes) edit.Write(path, content);
            gate = await evaluator.CheckAsync(worktree, task, proposal.Changes, before, ct);
            if (gate.Passed) verdict = await evaluator.EvaluateAsync(worktree, task, ct);
        }
        var improves = verdict is { Passed: true, Score: { } s } && (fitness is null || s > fitness);
        return new TrialOutcome(context, proposal, programHash, tokensUsed, refusal, gate, verdict, fitness, improves);
    }

    /// <summary>
    /// The crossover source of an agent in a cycle: a tournament winner (by fitness) among the cycle's other agents whose
    /// code differs, drawn from the step's seed.
    /// </summary>
    public static T? CrossoverPartner<T>(IReadOnlyList<T> others, Func<T, double?> fitness, int seed) where T : class =>
        others.Count == 0 ? null : others[GeneticOperators.TournamentSelect(others.Select(o => fitness(o) ?? double.NegativeInfinity).ToArray(), new Random(seed))];
}
