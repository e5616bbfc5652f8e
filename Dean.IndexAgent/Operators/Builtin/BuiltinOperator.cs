using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evolution;

namespace Dean.IndexAgent.Operators.Builtin;

/// <summary>
/// The offline operator (DESIGN section 4): deterministic for a seed. The genome's strategies, weighted by its traits,
/// choose which <see cref="IEditStrategy"/> is tried; its token usage is the o200k count of the text it read (the files
/// of the evolve scope) plus the text it wrote.
/// </summary>
public sealed class BuiltinOperator : IMutationOperator
{
    public const string OperatorName = "builtin";
    private const int AttemptsPerStrategy = 4;
    private const int Margin = 32;
    private readonly TokenCounter _tokens;
    private readonly Dictionary<string, IEditStrategy> _strategies;

    public BuiltinOperator(TokenCounter tokens, IEnumerable<IEditStrategy> strategies)
    {
        _tokens = tokens;
        _strategies = [];
        foreach (var strategy in strategies) _strategies[strategy.Name] = strategy; // the last registration wins
    }

    public string Name => OperatorName;

    public int KnownProgramRedraws => 8;
    public string? Unavailable => null;

    public int MaxTokens(ProposalContext context, int remainingBudget) =>
        ReadTokens(context) + _strategies.Values.Select(s => s.MaxWrittenTokens(context, _tokens)).DefaultIfEmpty(0).Max() + Margin;

    public Task<Proposal> ProposeAsync(ProposalContext context, int reservedTokens, CancellationToken cancellationToken)
    {
        var random = new Random(context.Seed);
        var read = ReadTokens(context);
        var weighted = Weights(context.Genome, context.TargetEvidence).Where(w => Resolve(w.Strategy) is not null).ToList();
        if (weighted.Count == 0) return Task.FromResult(Proposal.Failed("none", "no edit strategy of the genome is available", Math.Min(read, reservedTokens)));
        // The genome's strategies first; when none of them can edit this program (no crossover source, no pattern that
        // fits), the operator's other strategies, so that a step is never spent on nothing.
        var others = _strategies.Keys.Where(s => weighted.All(w => w.Strategy != s)).Select(s => (Strategy: s, Weight: 1.0)).ToList();
        foreach (var pool in others.Count == 0 ? new[] { weighted } : new[] { weighted, others })
        {
            // A strategy that found nothing to edit a few times leaves the draw, so a weighty strategy that cannot edit
            // this program (no crossover source, no fitting pattern) never crowds out one that can.
            var remaining = pool.ToList();
            var misses = new Dictionary<string, int>(StringComparer.Ordinal);
            while (remaining.Count > 0)
            {
                var strategy = Choose(remaining, random);
                if (Resolve(strategy)!.TryEdit(context, strategy, random) is { } edit && edit.NewContent != Original(context, edit.Path))
                {
                    var used = Math.Min(reservedTokens, read + _tokens.Count(edit.Written));
                    return Task.FromResult(new Proposal(new Dictionary<string, string> { [edit.Path] = edit.NewContent }, edit.Kind, edit.Description, used,
                        Strategy: strategy.StartsWith(Genome.PatternPrefix, StringComparison.Ordinal) ? Genome.ApplyPattern : strategy));
                }
                misses[strategy] = misses.GetValueOrDefault(strategy) + 1;
                if (misses[strategy] >= AttemptsPerStrategy) remaining.RemoveAll(w => w.Strategy == strategy);
            }
        }
        return Task.FromResult(Proposal.Failed("none", "no applicable edit for this program", Math.Min(read, reservedTokens)));
    }

    /// <summary>
    /// Each genome strategy's weight: 1 plus the traits that favour that kind of edit, times what the agent learned of
    /// it, times what every agent's edits showed of it on this target (<see cref="StrategyCredit"/>).
    /// </summary>
    public static IReadOnlyList<(string Strategy, double Weight)> Weights(Genome genome, IReadOnlyDictionary<string, StrategyEvidence>? evidence = null)
    {
        var t = genome.Traits;
        return genome.Strategies.Distinct().Select(s => (s, s switch
        {
            Genome.TuneConstants => 1 + t.Efficiency,
            Genome.Simplify => 1 + (t.Efficiency + t.Risk) / 2,
            Genome.Restructure => 1 + t.Risk,
            Genome.Reorder => 1 + (t.Risk + t.Exploration) / 2,
            Genome.Crossover => 1 + t.Creativity,
            _ => 1 + t.Creativity, // apply-pattern and pattern:{id}
        } * genome.WeightOf(s) * StrategyCredit.Multiplier(evidence, s.StartsWith(Genome.PatternPrefix, StringComparison.Ordinal) ? Genome.ApplyPattern : s))).ToList();
    }

    private IEditStrategy? Resolve(string strategy) =>
        _strategies.GetValueOrDefault(strategy.StartsWith(Genome.PatternPrefix, StringComparison.Ordinal) ? Genome.ApplyPattern : strategy);

    private static string Choose(IReadOnlyList<(string Strategy, double Weight)> weighted, Random random)
    {
        var roll = random.NextDouble() * weighted.Sum(w => w.Weight);
        foreach (var (strategy, weight) in weighted)
        {
            if (roll < weight) return strategy;
            roll -= weight;
        }
        return weighted[^1].Strategy;
    }

    private int ReadTokens(ProposalContext context) => context.Files.Sum(f => _tokens.Count(f.Path + "\n" + f.Content));

    private static string? Original(ProposalContext context, string path) => context.Files.FirstOrDefault(f => f.Path == path)?.Content;
}
