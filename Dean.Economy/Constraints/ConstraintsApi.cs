using Dean.Economy.Budget;
using Dean.Economy.Infrastructure;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dean.Economy.Constraints;

public static class ConstraintsApi
{
    public static IEndpointRouteBuilder MapConstraintsApi(this IEndpointRouteBuilder app)
    {
        var evolution = app.MapGroup("/api/v1/evolution").WithTags("Evolution constraints");
        evolution.MapGet("/constraints", GetAsync).RequireAuthorization(Policies.Viewer)
            .WithName("GetConstraints").WithSummary("The governance constraints evolution cycles must respect");
        evolution.MapPut("/constraints", PutAsync).RequireAuthorization(Policies.Admin)
            .WithName("SetConstraints").WithSummary("Replace the governance constraints");
        evolution.MapPost("/validate", ValidateAsync).RequireAuthorization(Policies.Viewer)
            .WithName("ValidateCycle").WithSummary("Check a proposed cycle against the constraints and the budget; lists every violation");
        return app;
    }

    private static async Task<Ok<EvolutionConstraints>> GetAsync(ConstraintStore store, CancellationToken ct) => TypedResults.Ok(await store.GetAsync(ct));

    private static async Task<Results<Ok<EvolutionConstraints>, ValidationProblem, ProblemHttpResult>> PutAsync(
        ConstraintsRequest body, ConstraintStore store, CancellationToken ct)
    {
        var v = new RequestValidation();
        void Required(string field, object? value)
        {
            if (value is null) v.Add(field, "is required");
        }
        Required("min_diversity", body.MinDiversity);
        Required("max_generations", body.MaxGenerations);
        Required("token_limit_per_generation", body.TokenLimitPerGeneration);
        Required("max_tokens_per_agent", body.MaxTokensPerAgent);
        Required("mutation_rate_range", body.MutationRateRange);
        Required("population_size_range", body.PopulationSizeRange);
        var key = v.Key(body.IdempotencyKey, required: false);
        if (!v.IsValid) return v.Problem();
        var constraints = new EvolutionConstraints(body.MinDiversity!.Value, body.MaxGenerations!.Value, body.TokenLimitPerGeneration!.Value,
            body.MaxTokensPerAgent!.Value, body.MutationRateRange!, body.PopulationSizeRange!);
        if (ConstraintValidator.Check(constraints) is { Count: > 0 } errors) return Problems.Invalid(errors);
        return (await store.SetAsync(constraints, key, ct)).ToOk();
    }

    private static async Task<Results<Ok<ValidationResponse>, ValidationProblem>> ValidateAsync(
        ValidateRequest body, ConstraintStore store, BudgetOperations budget, CancellationToken ct)
    {
        var v = new RequestValidation();
        if (body.PopulationSize is not > 0) v.Add("population_size", "is required and must be at least 1");
        if (body.Generations is not > 0) v.Add("generations", "is required and must be at least 1");
        var tokenBudget = v.Tokens("token_budget", body.TokenBudget, allowZero: true);
        if (body.MutationRate is { } rate && !(rate is >= 0 and <= 1)) v.Add("mutation_rate", "must be between 0 and 1");
        if (body.CurrentDiversity is { } d && !(d is >= 0 and <= 1)) v.Add("current_diversity", "must be between 0 and 1");
        if (!v.IsValid) return v.Problem();
        var constraints = await store.GetAsync(ct);
        var available = (await budget.GetAsync(ct)).Available;
        return TypedResults.Ok(ConstraintValidator.Validate(constraints,
            new CycleProposal(body.PopulationSize!.Value, body.Generations!.Value, tokenBudget, body.MutationRate, body.CurrentDiversity), available));
    }
}
