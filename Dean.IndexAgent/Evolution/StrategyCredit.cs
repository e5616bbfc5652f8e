namespace Dean.IndexAgent.Evolution;

/// <summary>What one strategy's edits came to on a target: edits written (gated or evaluated) and edits accepted.</summary>
public sealed record StrategyEvidence(int Tried, int Paid)
{
    public StrategyEvidence Add(bool paid) => new(Tried + 1, Paid + (paid ? 1 : 0));
}

/// <summary>
/// Target-level credit assignment (DESIGN section 5): how often each strategy's edits paid on this target, over every
/// agent that tried them, as a multiplier of the strategy's weight. An agent's own estimate
/// (<see cref="SearchAdaptation"/>) rests on its own few dozen steps; a population's steps together separate a strategy
/// that pays one time in twenty from one that never pays, which no single agent of a short cycle can.
/// </summary>
public static class StrategyCredit
{
    /// <summary>How many of a target's latest written edits count: what paid on the program as it was long ago may not now.</summary>
    public const int Window = 500;

    /// <summary>The prior (in edits) that evidence must outweigh: a strategy tried less than this stays near weight 1.</summary>
    public const double PriorTrials = 5;

    /// <summary>
    /// The posterior mean success rate (a beta prior of <see cref="PriorTrials"/> edits at
    /// <see cref="SearchAdaptation.PriorSuccess"/>) relative to the prior, within the strategy-weight bounds; 1 without evidence.
    /// </summary>
    public static double Multiplier(IReadOnlyDictionary<string, StrategyEvidence>? evidence, string strategy)
    {
        if (evidence is null || !evidence.TryGetValue(strategy, out var e)) return 1.0;
        var rate = (e.Paid + SearchAdaptation.PriorSuccess * PriorTrials) / (e.Tried + PriorTrials);
        return Math.Clamp(rate / SearchAdaptation.PriorSuccess, Genome.MinStrategyWeight, Genome.MaxStrategyWeight);
    }
}
