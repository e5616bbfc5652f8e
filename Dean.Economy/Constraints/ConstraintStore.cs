using Dapper;
using Dean.Economy.Infrastructure;
using Npgsql;

namespace Dean.Economy.Constraints;

public sealed class ConstraintStore(NpgsqlDataSource db, IdempotentTransactions transactions)
{
    public async Task<EvolutionConstraints> GetAsync(CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var r = await c.QuerySingleAsync<(double MinDiversity, int MaxGenerations, long TokenLimit, long MaxPerAgent, double RateMin, double RateMax, int PopMin, int PopMax)>(
            new CommandDefinition("""
                SELECT min_diversity, max_generations, token_limit_per_generation, max_tokens_per_agent,
                       mutation_rate_min, mutation_rate_max, population_size_min, population_size_max
                  FROM economy_constraints WHERE id = 1
                """, cancellationToken: ct));
        return new EvolutionConstraints(r.MinDiversity, r.MaxGenerations, r.TokenLimit, r.MaxPerAgent, [r.RateMin, r.RateMax], [r.PopMin, r.PopMax]);
    }

    public Task<Outcome<EvolutionConstraints>> SetAsync(EvolutionConstraints x, string? key, CancellationToken ct) =>
        transactions.RunAsync<EvolutionConstraints>(key, "constraints", async (c, tx) =>
        {
        await c.ExecuteAsync(new CommandDefinition("""
            UPDATE economy_constraints
               SET min_diversity = @MinDiversity, max_generations = @MaxGenerations, token_limit_per_generation = @TokenLimitPerGeneration,
                   max_tokens_per_agent = @MaxTokensPerAgent, mutation_rate_min = @rateMin, mutation_rate_max = @rateMax,
                   population_size_min = @popMin, population_size_max = @popMax, updated_at = now()
             WHERE id = 1
            """,
            new
            {
                x.MinDiversity, x.MaxGenerations, x.TokenLimitPerGeneration, x.MaxTokensPerAgent,
                rateMin = x.MutationRateRange[0], rateMax = x.MutationRateRange[1], popMin = x.PopulationSizeRange[0], popMax = x.PopulationSizeRange[1],
            }, tx, cancellationToken: ct));
        return Outcome<EvolutionConstraints>.Ok(x);
        }, ct);
}
