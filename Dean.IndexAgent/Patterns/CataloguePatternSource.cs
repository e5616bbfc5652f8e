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
        var adopted = agent.Genome.Strategies.Select(GenomeOperations.PatternIdOf).OfType<string>().Distinct().ToList();
        var result = adopted.Count == 0 ? [] : (await patterns.FindManyAsync(adopted, ct)).Where(p => !p.Pattern.Archived).ToList();
        if (agent.Genome.HasStrategy(Genome.ApplyPattern))
        {
            var (best, _) = await patterns.ListAsync(null, null, BestCount * 2, includeArchived: false, ct);
            result.AddRange(best.Where(p => p.Pattern.DiscoveredBy != agent.Id && result.All(r => r.Pattern.Id != p.Pattern.Id)).Take(BestCount));
        }
        return result.Select(p => new PatternEdit(p.Pattern.Id, p.Pattern.NormalizedDiff, p.Pattern.NormalizedDiff, p.Pattern.Template)).ToList();
    }
}
