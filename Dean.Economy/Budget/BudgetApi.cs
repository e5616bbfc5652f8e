using Dean.Economy.Infrastructure;
using Dean.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dean.Economy.Budget;

public static class BudgetApi
{
    public static IEndpointRouteBuilder MapBudgetApi(this IEndpointRouteBuilder app)
    {
        var economy = app.MapGroup("/api/v1/economy").WithTags("Economy");
        economy.MapGet("/budget", GetAsync).RequireAuthorization(Policies.Viewer)
            .WithName("GetBudget").WithSummary("The global budget and what is allocated, consumed, reserved and available");
        economy.MapPut("/budget", PutAsync).RequireAuthorization(Policies.Admin)
            .WithName("SetBudget").WithSummary("Set the global budget, optionally returning every unused allocation first");
        return app;
    }

    private static async Task<Ok<BudgetResponse>> GetAsync(BudgetOperations budget, CancellationToken ct) => TypedResults.Ok(await budget.GetAsync(ct));

    private static async Task<Results<Ok<BudgetResponse>, ValidationProblem, ProblemHttpResult>> PutAsync(
        BudgetRequest body, BudgetOperations budget, CancellationToken ct)
    {
        var v = new RequestValidation();
        var newBudget = v.Tokens("new_budget", body.NewBudget, allowZero: true);
        var key = v.Key(body.IdempotencyKey, required: false);
        if (!v.IsValid) return v.Problem();
        return (await budget.SetAsync(newBudget, body.ResetAllocations ?? false, key, ct)).ToOk();
    }
}
