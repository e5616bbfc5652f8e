using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dean.IndexAgent.Economy;
using Dean.IndexAgent.Evaluation;
using Dean.IndexAgent.Evolution;
using Dean.IndexAgent.Operators;
using Dean.IndexAgent.Targets;
using Dean.IndexAgent.Workspace;
using Dean.ServiceDefaults.Metrics;

namespace Dean.IndexAgent.Agents;

public sealed record PatternInput(string? Id, string? Before, string? After);

/// <param name="RedrawKnownPrograms">false: keep the seed's proposal even when that program was evaluated before (to replay a candidate exactly)</param>
public sealed record EvolveRequest(string? Operator, int? Seed, string? CycleId, int? Generation, string? CrossoverWith, IReadOnlyList<PatternInput>? Patterns,
    bool? RedrawKnownPrograms = null);

public sealed record StepOutcome(Candidate Candidate, double? Fitness, long TokensRemaining, StepTimings Timings);

public abstract record StepResult
{
    public sealed record Done(StepOutcome Outcome) : StepResult;
    public sealed record NotFound : StepResult;
    public sealed record NotActive(string Status) : StepResult;
    public sealed record Invalid(Dictionary<string, string[]> Errors) : StepResult;
    public sealed record BudgetExhausted(string Detail) : StepResult;
}

/// <summary>
/// One evolution step of one agent, exactly as DESIGN section 4: reserve, propose, evaluate, settle, accept-and-commit
/// or restore, record. The tokens settled at the Economy are the candidate's <c>tokens_used</c>, so the agent's ledger
/// always equals the sum over its candidates.
/// </summary>
public sealed class EvolutionStep(
    AgentStore agents,
    TargetStore targets,
    AgentService agentService,
    EconomyClient economy,
    OperatorRegistry operators,
    CandidateTrial trials,
    AgentLocks locks,
    IPatternSource patternSource,
    ILogger<EvolutionStep> logger)
{
    public const double EfficiencyAlpha = 0.3;

    public async Task<StepResult> EvolveAsync(string agentId, EvolveRequest request, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var op = operators.Find(request.Operator);
        if (op is null) return Invalid("operator", $"unknown operator '{request.Operator}'; known: {string.Join(", ", operators.Names)}");
        if (op.Unavailable is { } unavailable) return Invalid("operator", unavailable);
        if (request.Generation is < 0) return Invalid("generation", "generation must not be negative");
        if (request.CycleId is { Length: 0 or > 100 }) return Invalid("cycle_id", "cycle_id must be 1 to 100 characters");
        if (request.Patterns?.Any(p => string.IsNullOrEmpty(p.Id) || string.IsNullOrEmpty(p.Before) || p.After is null) == true)
            return Invalid("patterns", "every pattern needs id, before and after");

        using var activity = DeanMeters.ActivitySource.StartActivity("evolve-step");
        activity?.SetTag("dean.agent.id", agentId);
        using var held = await locks.AcquireAsync(agentId, ct);
        var agent = await agents.FindAsync(agentId, ct);
        if (agent is null) return new StepResult.NotFound();
        // A budget_exhausted agent tries again: the reservation decides whether it was funded since.
        if (agent.Status is not (AgentStatus.Active or AgentStatus.BudgetExhausted)) return new StepResult.NotActive(agent.Status);
        var target = await targets.FindAsync(agent.Target, ct) ?? throw new InvalidOperationException($"target {agent.Target} of {agentId} is missing");
        agent = await SyncBudgetAsync(agent, ct);

        var scope = new EvolveScope(target.Task.Evolve);
        var paths = await ScopedPathsAsync(agent, scope, ct);
        var files = paths.Select(p => EvolveFile.Create(p, WorktreeEdit.Read(agent.WorktreePath, p))).ToList();

        var seed = request.Seed ?? StableSeed(agent.Id, agent.Steps);
        Agent? partner = null;
        if (request.CrossoverWith is { } otherId)
        {
            partner = await agents.FindAsync(otherId, ct);
            if (partner is null || partner.Target != agent.Target || partner.Id == agent.Id)
                return Invalid("crossover_with", $"'{otherId}' is not another agent of target {agent.Target}");
        }
        else if ((request.CycleId ?? agent.CycleId) is { } cycleId && agent.Genome.HasStrategy(Genome.Crossover))
        {
            // In a cycle, the crossover source is a tournament winner among the cycle's other agents with other code.
            var others = (await agents.ActiveInCycleAsync(cycleId, ct)).Where(a => a.Id != agent.Id && a.HeadCommit != agent.HeadCommit && a.Target == agent.Target).ToList();
            partner = CandidateTrial.CrossoverPartner(others, a => a.Fitness, seed);
        }
        async Task<IReadOnlyList<EvolveFile>> FilesAt(string commit) =>
            (await GitCli.ShowFilesAsync(target.Path, commit, paths, ct)).Select(f => EvolveFile.Create(f.Path, f.Content)).ToList();
        IReadOnlyList<EvolveFile>? crossover = null, ancestor = null;
        if (partner is not null)
        {
            // The other agent's committed version (never a half-evaluated candidate of its own step), and the version the
            // two branches last shared, so the operator can tell the partner's changes from the agent's own.
            crossover = await FilesAt(partner.HeadCommit);
            var (exit, mergeBase, _) = await GitCli.TryRunAsync(target.Path, ["merge-base", partner.HeadCommit, agent.HeadCommit], ct);
            if (exit == 0 && mergeBase.Trim() is { Length: > 0 } shared) ancestor = await FilesAt(shared);
        }
        var patterns = request.Patterns is { } given
            ? given.Select(p => new PatternEdit(p.Id!, p.Before!, p.After!)).ToList()
            : await patternSource.BestForAsync(agent, ct);

        var context = new ProposalContext(agent.Id, agent.Goal, agent.Genome, files, seed, agent.LastFeedback, patterns, crossover,
            await agents.StrategyEvidenceAsync(agent.Target, ct), ancestor, agent.CurrentFeedback);
        var bound = op.MaxTokens(context, (int)Math.Min(int.MaxValue, agent.TokensRemaining));
        var phase = Stopwatch.GetTimestamp();
        double Lap()
        {
            var now = Stopwatch.GetTimestamp();
            var ms = Stopwatch.GetElapsedTime(phase, now).TotalMilliseconds;
            phase = now;
            return ms;
        }
        double prepareMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds, reserveMs, proposeMs = 0, evaluateMs = 0, settleMs = 0;

        // 1. Reserve the step's bound; a refusal ends the step with nothing charged.
        var stepKey = $"{agentId}:{agent.Steps + 1}:{Guid.NewGuid():N}";
        ReservationResponse reservation;
        try
        {
            if (bound <= 0) throw new EconomyRefusedException(ProblemTypes.BudgetExceeded, $"{agentId} has no tokens left");
            reservation = await economy.ReserveAsync(agentId, bound, $"reserve:{stepKey}", ct);
            reserveMs = Lap();
            if (agent.Status == AgentStatus.BudgetExhausted)
            {
                await agentService.ReactivateAsync(agentId, CancellationToken.None);
                logger.LogInformation("{Agent} is active again: its budget was topped up", agentId);
            }
        }
        catch (EconomyRefusedException ex)
        {
            await agentService.MarkBudgetExhaustedAsync(agentId, CancellationToken.None);
            logger.LogInformation("{Agent} is budget_exhausted: {Detail}", agentId, ex.Message);
            return new StepResult.BudgetExhausted(ex.Message);
        }

        var edit = new WorktreeEdit(agent.WorktreePath);
        TrialOutcome trial;
        bool improves;
        try
        {
            // 2–3. Propose (a program already evaluated for this target, by any agent, is drawn again with the next seed
            //      when the operator allows it), gate, then evaluate the edited worktree.
            trial = await trials.RunAsync(op, context, (int)reservation.Tokens, scope, edit, agent.WorktreePath, target.Task, agent.Fitness,
                (hash, token) => agents.IsKnownProgramAsync(agent.Target, hash, token), request.RedrawKnownPrograms != false, ct);
            context = trial.Context;
            evaluateMs = trial.Verdict?.DurationMs ?? 0;
            proposeMs = Math.Max(0, Lap() - evaluateMs);
            improves = trial.Improves;

            // 4. Settle: the actual tokens, never more than reserved; the rest is released. The value reported is the
            //    fitness gain the tokens bought (what the Economy's efficiency is measured in).
            var value = improves && agent.Fitness is { } f ? trial.Verdict!.Score!.Value - f : 0;
            await economy.SettleAsync(reservation.ReservationId, trial.TokensUsed, value, $"settle:{stepKey}", ct);
            settleMs = Lap();
        }
        catch (Exception ex)
        {
            edit.Restore();
            await GitCli.ResetToHeadAsync(agent.WorktreePath, CancellationToken.None);
            try
            {
                await economy.ReleaseAsync(reservation.ReservationId, $"release:{stepKey}", CancellationToken.None);
            }
            catch (Exception releaseError) when (releaseError is HttpRequestException or EconomyRefusedException or TaskCanceledException)
            {
                // The reservation expires at the Economy (crash safety), so nothing stays held for long.
                logger.LogWarning(releaseError, "Reservation {Reservation} of {Agent} not released", reservation.ReservationId, agentId);
            }
            logger.LogWarning(ex, "Step of {Agent} failed before settlement; reservation released, worktree restored", agentId);
            throw;
        }

        // 5. Accept when passed and better than the current fitness, else restore. From here on the tokens are
        //    charged, so the candidate is always recorded.
        var (proposal, verdict) = (trial.Proposal, trial.Verdict);
        var tokensUsed = trial.TokensUsed;
        var previous = agent.Fitness;
        var diff = new StringBuilder();
        var stats = DiffStats.Empty;
        foreach (var (path, content) in proposal.Changes.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var old = files.FirstOrDefault(f => f.Path == path)?.Content;
            diff.Append(UnifiedDiff.Unified(path, old, content));
            stats = stats.Add(UnifiedDiff.Stats(old, content));
        }
        string? commit = null;
        var reason = trial.Reason;
        if (improves)
        {
            try
            {
                commit = await GitCli.CommitAsync(agent.WorktreePath, edit.Paths,
                    $"dean: {agentId} {proposal.Kind} score {verdict!.Score!.Value.ToString("G6", CultureInfo.InvariantCulture)}\n\n{proposal.Description}", CancellationToken.None);
            }
            catch (GitException ex)
            {
                improves = false;
                reason = $"commit failed: {ex.Message}";
            }
        }
        if (!improves) edit.Restore();
        await GitCli.ResetToHeadAsync(agent.WorktreePath, CancellationToken.None);

        var fitness = improves ? verdict!.Score : previous;
        var gain = improves && previous is { } p ? fitness!.Value - p : 0;
        var efficiency = NextEfficiency(agent.TokenEfficiency, gain, tokensUsed);
        // A commit that failed is not an accepted candidate: learn from what was recorded.
        var learned = (trial with { Improves = improves }).Learned(agent.Genome);
        var candidate = new Candidate(0, agentId, request.CycleId ?? agent.CycleId, request.Generation ?? agent.Generation, op.Name, proposal.Kind,
            proposal.Description, context.Seed, diff.ToString(), stats.FilesChanged, stats.LinesAdded, stats.LinesRemoved, reservation.Tokens, tokensUsed,
            verdict?.DurationMs ?? 0, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, verdict?.Score, previous,
            verdict?.Metrics?.GetRawText(), trial.Feedback, trial.Evaluation, improves, reason, commit, DateTimeOffset.UtcNow,
            verdict?.Stages is { } stages ? JsonSerializer.Serialize(stages, Microsoft.Extensions.Hosting.Extensions.DeanJson) : null);

        var finishMs = Lap();
        // 6. Record: candidate, fitness, head, token efficiency (EMA) in one transaction.
        var id = await agents.RecordStepAsync(candidate, proposal.Changes.Count == 0 ? null : trial.ProgramHash, proposal.Strategy, fitness, commit ?? agent.HeadCommit, efficiency,
            learned, CancellationToken.None);
        activity?.SetTag("dean.step.accepted", improves);
        var timings = new StepTimings(prepareMs, reserveMs, proposeMs, evaluateMs, settleMs, finishMs, Lap());
        return new StepResult.Done(new StepOutcome(candidate with { Id = id }, fitness, Math.Max(0, agent.TokenBudget - agent.TokensUsed - tokensUsed), timings));
    }

    // The tracked files of a commit never change: listing them once per (worktree, commit) saves a git process per step.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Commit, List<string> Paths)> _scopedPaths = new();

    private async Task<List<string>> ScopedPathsAsync(Agent agent, EvolveScope scope, CancellationToken ct)
    {
        if (_scopedPaths.TryGetValue(agent.WorktreePath, out var cached) && cached.Commit == agent.HeadCommit) return cached.Paths;
        var paths = (await GitCli.TrackedFilesAsync(agent.WorktreePath, ct)).Where(scope.InScope).Order(StringComparer.Ordinal).ToList();
        _scopedPaths[agent.WorktreePath] = (agent.HeadCommit, paths);
        return paths;
    }

    /// <summary>
    /// The Economy holds the agent's budget: top-ups from a cycle's pool or an operator happen there. The step's bound
    /// and the agent's <c>token_budget</c> (used + remaining) follow the account, not the budget it was created with.
    /// </summary>
    private async Task<Agent> SyncBudgetAsync(Agent agent, CancellationToken ct)
    {
        if (await economy.GetAccountAsync(agent.Id, ct) is not { } account) return agent;
        var total = agent.TokensUsed + account.Remaining;
        if (total == agent.TokenBudget) return agent;
        await agents.SetTokenBudgetAsync(agent.Id, total, ct);
        return agent with { TokenBudget = total };
    }

    /// <summary>token_efficiency: EMA (α = 0.3) of the fitness gain per 1,000 tokens of each step.</summary>
    public static double NextEfficiency(double previous, double gain, long tokens) =>
        EfficiencyAlpha * (gain * 1000.0 / Math.Max(1, tokens)) + (1 - EfficiencyAlpha) * previous;

    /// <summary>The default seed: a stable hash (FNV-1a) of the agent and its step number, the same on every run.</summary>
    public static int StableSeed(string agentId, int step)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes($"{agentId}:{step}")) hash = (hash ^ b) * 16777619u;
        return (int)(hash & 0x7FFFFFFF);
    }

    private static StepResult Invalid(string field, string message) => new StepResult.Invalid(new() { [field] = [message] });
}
