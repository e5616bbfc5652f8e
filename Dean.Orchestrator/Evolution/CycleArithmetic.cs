namespace Dean.Orchestrator.Evolution;

/// <summary>The numbers of a cycle (DESIGN 8 and 9), without I/O.</summary>
public static class CycleArithmetic
{
    /// <summary>
    /// An agent's allocation target for one generation: base × clamp(0.5 + efficiency, 0.5, 2.0), within
    /// <c>token_limit_per_generation</c> and <c>max_tokens_per_agent</c>. The base spreads a budget (the pool's
    /// remainder) evenly over the agent-generations still to come, so a cycle that is not starved lasts all its generations.
    /// </summary>
    public static long GenerationAllocation(long cycleBudget, int populationSize, int generations, double efficiency,
        long tokenLimitPerGeneration, long maxTokensPerAgent)
    {
        if (populationSize <= 0 || generations <= 0) return 0;
        var baseTokens = (double)cycleBudget / (populationSize * (long)generations);
        var weighted = baseTokens * Math.Clamp(0.5 + efficiency, 0.5, 2.0);
        return (long)Math.Max(0, Math.Min(Math.Min(weighted, tokenLimitPerGeneration), maxTokensPerAgent));
    }

    /// <summary>How much to add so the agent's remaining allocation reaches the target (never negative).</summary>
    public static long TopUp(long target, long remaining) => Math.Max(0, target - remaining);

    /// <summary>Best and mean of the scores an agent population reached this generation (its fitness after the step).</summary>
    public static (double? Best, double? Mean, string? BestAgent) Summarise(IEnumerable<(string AgentId, double? Fitness)> population)
    {
        var scored = population.Where(p => p.Fitness is not null).ToList();
        if (scored.Count == 0) return (null, null, null);
        var best = scored.MaxBy(p => p.Fitness!.Value);
        return (best.Fitness, scored.Average(p => p.Fitness!.Value), best.AgentId);
    }

    /// <summary>A per-step seed that is stable for (cycle, generation, agent), so a resumed step proposes the same edit.</summary>
    public static int StepSeed(string cycleId, int generation, string agentId)
    {
        var bytes = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{cycleId}/{generation}/{agentId}"));
        return BitConverter.ToInt32(bytes, 0) & int.MaxValue;
    }
}
