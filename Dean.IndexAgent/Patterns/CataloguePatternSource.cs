using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evolution;
using Dean.IndexAgent.Operators;

namespace Dean.IndexAgent.Patterns;

/// <summary>
/// The patterns a step of the builtin operator may apply (DESIGN section 4, step 2): every unarchived pattern the agent
/// adopted (<c>pattern:{id}</c> strategies) and, for <c>apply-pattern</c>, the most effective patterns discovered by
/// other agents. Each carries its template, so it is matched by shape, not by text.
/// </summary>
public sealed class CataloguePatternSource(PatternStore patterns) : IPatternSource
{
    public const int BestCount = 5;

    public async Task<IReadOnlyList<PatternEdit>> BestForAsync(Agent agent, CancellationToken ct)
    {
        var adopted = AdoptedIds(agent.Genome);
        var chosen = adopted.Count == 0 ? [] : (await patterns.FindManyAsync(adopted, ct)).Select(p => p.Pattern).ToList();
        var ranked = agent.Genome.HasStrategy(Genome.ApplyPattern)
            ? (await patterns.ListAsync(null, null, BestCount * 2, includeArchived: false, ct)).Patterns.Select(p => p.Pattern).ToList()
            : [];
        return Choose(agent.Genome, agent.Id, chosen, ranked);
    }

    /// <summary>The pattern ids the genome adopted (<c>pattern:{id}</c> strategies).</summary>
    public static IReadOnlyList<string> AdoptedIds(Genome genome) =>
        genome.Strategies.Select(GenomeOperations.PatternIdOf).OfType<string>().Distinct().ToList();

    /// <summary>
    /// The selection itself: the adopted patterns that are not archived, then, for <c>apply-pattern</c>, the first
    /// <see cref="BestCount"/> of <paramref name="ranked"/> (best first, as <see cref="Rank"/> orders them) discovered by
    /// other agents.
    /// </summary>
    public static IReadOnlyList<PatternEdit> Choose(Genome genome, string agentId, IEnumerable<CataloguedPattern> adopted, IEnumerable<CataloguedPattern> ranked)
    {
        var result = adopted.Where(p => !p.Archived).ToList();
        if (genome.HasStrategy(Genome.ApplyPattern))
            result.AddRange(ranked.Where(p => !p.Archived && p.DiscoveredBy != agentId && result.All(r => r.Id != p.Id)).Take(BestCount));
        return result.Select(p => new PatternEdit(p.Id, p.NormalizedDiff, p.NormalizedDiff, p.Template)).ToList();
    }

    /// <summary>Best first, as the pattern store lists them: effectiveness, then usage, then id.</summary>
    public static IEnumerable<CataloguedPattern> Rank(IEnumerable<CataloguedPattern> patterns) =>
        patterns.OrderByDescending(p => p.Effectiveness).ThenByDescending(p => p.UsageCount).ThenBy(p => p.Id, StringComparer.Ordinal);
}
