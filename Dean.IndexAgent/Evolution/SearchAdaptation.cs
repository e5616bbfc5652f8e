using Dean.IndexAgent.Agents;

namespace Dean.IndexAgent.Evolution;

/// <summary>How one step of an agent ended, as far as learning is concerned.</summary>
public enum StepVerdict
{
    /// <summary>Evaluated and better than the agent's fitness: committed.</summary>
    Accepted,

    /// <summary>Evaluated and passed, but not better.</summary>
    NotImproved,

    /// <summary>Evaluated and rejected by the evaluator (crash, passed false, timeout): the edit broke the program.</summary>
    Broken,

    /// <summary>Stopped by the validity gate before the evaluator ran.</summary>
    CheckFailed,

    /// <summary>No edit was made, or it was refused before anything ran: nothing to learn.</summary>
    NoEdit,
}

/// <summary>
/// Per-agent search adaptation after every step (DESIGN section 5), pure and deterministic:
/// <list type="bullet">
/// <item>The perturbation spread <c>step_scale</c> follows the success rule: narrower (÷ <see cref="SpreadFactor"/>)
/// after a successful numeric perturbation, wider (× <see cref="SpreadFactor"/>^¼) after each one that did not pay, so
/// the spread holds still at a success rate of one in five and a stuck agent widens its search. Clamped to
/// [<see cref="Genome.MinStepScale"/>, <see cref="Genome.MaxStepScale"/>].</item>
/// <item>Credit assignment: the weight of the strategy that made the edit is an estimate of how often its edits pay on this
/// target, relative to a prior of one in ten (<see cref="PriorSuccess"/>): an exponential moving average (rate
/// <see cref="LearningRate"/>) of 1/<see cref="PriorSuccess"/> for an accepted edit and 0 for one that did not pay,
/// within [<see cref="Genome.MinStrategyWeight"/>, <see cref="Genome.MaxStrategyWeight"/>]. A strategy never tried keeps
/// the prior (1); only the strategy used moves, so a strategy that pays now and then stays above one that never pays,
/// however often each is tried.</item>
/// </list>
/// </summary>
public static class SearchAdaptation
{
    public const double SpreadFactor = 2.0;

    /// <summary>The success rate a strategy is assumed to have before it is tried (its weight 1).</summary>
    public const double PriorSuccess = 0.1;

    /// <summary>How much one outcome moves its strategy's estimate: about the last 1/rate tries count.</summary>
    public const double LearningRate = 0.1;

    /// <summary>The strategy whose edits the spread governs.</summary>
    public const string SpreadStrategy = Genome.TuneConstants;

    public static Genome After(Genome genome, string? strategy, StepVerdict verdict)
    {
        if (strategy is null || verdict == StepVerdict.NoEdit) return genome;
        var scale = genome.StepScale;
        if (strategy == SpreadStrategy)
            scale = verdict == StepVerdict.Accepted ? scale / SpreadFactor : scale * Math.Pow(SpreadFactor, 0.25);

        var payoff = verdict == StepVerdict.Accepted ? 1 / PriorSuccess : 0.0;
        var weights = new Dictionary<string, double>(genome.StrategyWeights ?? new Dictionary<string, double>(), StringComparer.Ordinal)
        {
            [Key(strategy)] = Math.Clamp((1 - LearningRate) * genome.WeightOf(strategy) + LearningRate * payoff, Genome.MinStrategyWeight, Genome.MaxStrategyWeight),
        };
        return genome with { StepScale = Math.Clamp(scale, Genome.MinStepScale, Genome.MaxStepScale), StrategyWeights = weights };
    }

    private static string Key(string strategy) => strategy.StartsWith(Genome.PatternPrefix, StringComparison.Ordinal) ? Genome.ApplyPattern : strategy;

    /// <summary>How far each agent's strategy weights and spread move toward the population's pooled ones in a population step.</summary>
    public const double SharedLearningRate = 0.5;

    /// <summary>
    /// What the population learned of the target: per strategy, the geometric mean of every member's weight (members
    /// that never tried a strategy count as 1), and the geometric mean of the members' spreads.
    /// </summary>
    public static PooledLearning Pool(IReadOnlyCollection<Genome> genomes)
    {
        var pooled = new Dictionary<string, double>(StringComparer.Ordinal);
        if (genomes.Count == 0) return new PooledLearning(pooled, 1.0);
        foreach (var strategy in Genome.Vocabulary)
            pooled[strategy] = Math.Exp(genomes.Average(g => Math.Log(g.WeightOf(strategy))));
        return new PooledLearning(pooled, Math.Exp(genomes.Average(g => Math.Log(g.StepScale))));
    }

    /// <summary>
    /// The genome's weights and spread moved toward the pooled ones by <see cref="SharedLearningRate"/> (in log space): an
    /// agent benefits from what its neighbours' edits taught (the success rule then runs on the population's outcomes, not
    /// on one agent's few dozen), and keeps part of what it learned itself.
    /// </summary>
    public static Genome Share(Genome genome, PooledLearning pooled)
    {
        if (pooled.Weights.Count == 0) return genome;
        double Toward(double own, double shared) => Math.Exp((1 - SharedLearningRate) * Math.Log(own) + SharedLearningRate * Math.Log(shared));
        var weights = pooled.Weights.ToDictionary(p => p.Key,
            p => Math.Clamp(Toward(genome.WeightOf(p.Key), p.Value), Genome.MinStrategyWeight, Genome.MaxStrategyWeight), StringComparer.Ordinal);
        return genome with
        {
            StrategyWeights = weights,
            StepScale = Math.Clamp(Toward(genome.StepScale, pooled.StepScale), Genome.MinStepScale, Genome.MaxStepScale),
        };
    }

    /// <summary>The stagnation answer "widen": the spread doubled (within bounds).</summary>
    public static Genome Widen(Genome genome) =>
        genome with { StepScale = Math.Clamp(genome.StepScale * SpreadFactor, Genome.MinStepScale, Genome.MaxStepScale) };
}

/// <summary>What a population's members learned of a target, pooled (<see cref="SearchAdaptation.Pool"/>).</summary>
public sealed record PooledLearning(IReadOnlyDictionary<string, double> Weights, double StepScale);
