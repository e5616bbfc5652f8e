using Dean.IndexAgent.Operators;

namespace Dean.IndexAgent.Agents;

/// <summary>
/// Where a step's "best patterns" come from (DESIGN section 4, step 2). The pattern catalogue registers its own
/// implementation; until then an agent gets the patterns named by its <c>pattern:{id}</c> strategies only if the
/// caller passes them with the evolve request.
/// </summary>
public interface IPatternSource
{
    Task<IReadOnlyList<PatternEdit>> BestForAsync(Agent agent, CancellationToken ct);
}

public sealed class NoPatterns : IPatternSource
{
    public Task<IReadOnlyList<PatternEdit>> BestForAsync(Agent agent, CancellationToken ct) => Task.FromResult<IReadOnlyList<PatternEdit>>([]);
}
