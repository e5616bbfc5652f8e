using Dean.Economy.Infrastructure;
using Dean.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dean.Economy.Governance;

public static class GovernanceApi
{
    public static IEndpointRouteBuilder MapGovernanceApi(this IEndpointRouteBuilder app)
    {
        var economy = app.MapGroup("/api/v1/economy").WithTags("Economy").RequireAuthorization(Policies.Operator);
        economy.MapPost("/decay", DecayAsync)
            .WithName("Decay").WithSummary("Idle agents (over an hour) lose 5% of their unused allocation per idle hour, back to its source");
        economy.MapPost("/rebalance", RebalanceAsync)
            .WithName("Rebalance").WithSummary("The least efficient fifth gives 20% of its unused allocation to the most efficient fifth");
        return app;
    }

    private static async Task<Results<Ok<DecayResponse>, ValidationProblem, ProblemHttpResult>> DecayAsync(
        GovernanceRequest? body, GovernanceOperations governance, CancellationToken ct)
    {
        var v = new RequestValidation();
        var key = v.Key(body?.IdempotencyKey, required: false);
        if (!v.IsValid) return v.Problem();
        return (await governance.DecayAsync(key, ct)).ToOk();
    }

    private static async Task<Results<Ok<RebalanceResponse>, ValidationProblem, ProblemHttpResult>> RebalanceAsync(
        GovernanceRequest? body, GovernanceOperations governance, CancellationToken ct)
    {
        var v = new RequestValidation();
        var key = v.Key(body?.IdempotencyKey, required: false);
        if (!v.IsValid) return v.Problem();
        return (await governance.RebalanceAsync(key, ct)).ToOk();
    }
}
