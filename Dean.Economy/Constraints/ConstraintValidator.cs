namespace Dean.Economy.Constraints;

public sealed record CycleProposal(int PopulationSize, int Generations, long TokenBudget, double? MutationRate, double? CurrentDiversity);

/// <summary>Checks a proposed evolution cycle against the constraints and the global budget; reports every violation.</summary>
public static class ConstraintValidator
{
    /// <summary>
    /// The most the cycle can spend: each agent at most <c>token_limit_per_generation</c> per generation and at most
    /// <c>max_tokens_per_agent</c> in all.
    /// </summary>
    public static long EstimatedTokens(EvolutionConstraints c, int populationSize, int generations)
    {
        var perAgent = Math.Min(c.MaxTokensPerAgent, (decimal)generations * c.TokenLimitPerGeneration);
        return (long)Math.Min(long.MaxValue, perAgent * populationSize);
    }

    public static ValidationResponse Validate(EvolutionConstraints c, CycleProposal p, long globalAvailable)
    {
        var violations = new List<Violation>();
        var (popMin, popMax) = (c.PopulationSizeRange[0], c.PopulationSizeRange[1]);
        if (p.PopulationSize < popMin)
            violations.Add(new("population_size_range", p.PopulationSize, popMin, $"population_size {p.PopulationSize} is below the minimum {popMin}"));
        if (p.PopulationSize > popMax)
            violations.Add(new("population_size_range", p.PopulationSize, popMax, $"population_size {p.PopulationSize} is above the maximum {popMax}"));
        if (p.Generations > c.MaxGenerations)
            violations.Add(new("max_generations", p.Generations, c.MaxGenerations, $"generations {p.Generations} exceeds max_generations {c.MaxGenerations}"));
        if (p.MutationRate is { } rate)
        {
            var (rMin, rMax) = (c.MutationRateRange[0], c.MutationRateRange[1]);
            if (rate < rMin) violations.Add(new("mutation_rate_range", rate, rMin, $"mutation_rate {rate} is below the minimum {rMin}"));
            if (rate > rMax) violations.Add(new("mutation_rate_range", rate, rMax, $"mutation_rate {rate} is above the maximum {rMax}"));
        }
        if (p.CurrentDiversity is { } diversity && diversity < c.MinDiversity)
            violations.Add(new("min_diversity", diversity, c.MinDiversity, $"current_diversity {diversity} is below min_diversity {c.MinDiversity}"));
        if (p.PopulationSize > 0 && (decimal)p.TokenBudget / p.PopulationSize > c.MaxTokensPerAgent)
            violations.Add(new("max_tokens_per_agent", (double)p.TokenBudget / p.PopulationSize, c.MaxTokensPerAgent,
                $"token_budget gives each agent {(double)p.TokenBudget / p.PopulationSize:0.#} tokens, more than max_tokens_per_agent {c.MaxTokensPerAgent}"));
        if (p.TokenBudget > globalAvailable)
            violations.Add(new("global_budget", p.TokenBudget, globalAvailable, $"token_budget {p.TokenBudget} exceeds the {globalAvailable} tokens available"));
        var estimated = Math.Min(p.TokenBudget, EstimatedTokens(c, Math.Max(0, p.PopulationSize), Math.Max(0, p.Generations)));
        return new ValidationResponse(violations.Count == 0, violations, estimated);
    }

    /// <summary>Errors of a constraints document (field → message), empty when it is acceptable.</summary>
    public static Dictionary<string, string[]> Check(EvolutionConstraints c)
    {
        var errors = new Dictionary<string, string[]>();
        if (!(c.MinDiversity is >= 0 and <= 1)) errors["min_diversity"] = ["must be between 0 and 1"];
        if (c.MaxGenerations < 1) errors["max_generations"] = ["must be at least 1"];
        if (c.TokenLimitPerGeneration < 1) errors["token_limit_per_generation"] = ["must be at least 1"];
        if (c.MaxTokensPerAgent < 1) errors["max_tokens_per_agent"] = ["must be at least 1"];
        if (c.MutationRateRange is not [var lo, var hi] || !(lo >= 0 && lo <= hi && hi <= 1))
            errors["mutation_rate_range"] = ["must be [min, max] with 0 <= min <= max <= 1"];
        if (c.PopulationSizeRange is not [var pLo, var pHi] || !(pLo >= 1 && pLo <= pHi))
            errors["population_size_range"] = ["must be [min, max] with 1 <= min <= max"];
        return errors;
    }
}
