using Dean.Economy.Infrastructure;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dean.Economy.Accounts;

public static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var economy = app.MapGroup("/api/v1/economy").WithTags("Economy");

        economy.MapPost("/allocate", AllocateAsync).RequireAuthorization(Policies.Operator)
            .WithName("Allocate").WithSummary("Allocate tokens to an agent or cycle pool, from the global budget or from a pool");
        economy.MapPost("/return", ReturnAsync).RequireAuthorization(Policies.Operator)
            .WithName("ReturnAllocation").WithSummary("Give an account's unused allocation back to where it came from");
        economy.MapGet("/agents/{agentId}", GetAgentAsync).RequireAuthorization(Policies.Viewer)
            .WithName("GetAgentAccount").WithSummary("An agent's (or pool's) allocation, consumption, reservations and efficiency");
        economy.MapGet("/transactions", TransactionsAsync).RequireAuthorization(Policies.Viewer)
            .WithName("ListTransactions").WithSummary("Ledger rows, newest first");
        economy.MapGet("/usage", UsageAsync).RequireAuthorization(Policies.Viewer)
            .WithName("GetUsage").WithSummary("Allocation and consumption over the last hours, by agent and by hour");
        economy.MapGet("/efficiency", EfficiencyAsync).RequireAuthorization(Policies.Viewer)
            .WithName("GetEfficiency").WithSummary("Top performers and inefficient agents by value per 1,000 tokens");
        return app;
    }

    private static async Task<Results<Ok<AllocationResponse>, ValidationProblem, ProblemHttpResult>> AllocateAsync(
        AllocateRequest body, AccountOperations accounts, CancellationToken ct)
    {
        var v = new RequestValidation();
        var agentId = v.AccountId("agent_id", body.AgentId);
        // Either an explicit request, or base_tokens for the automatic allocation (base × clamp(0.5 + efficiency, 0.5, 2)).
        if (body.RequestedTokens is not null && body.BaseTokens is not null) v.Add("base_tokens", "give requested_tokens or base_tokens, not both");
        if (body.BaseTokens is null) v.Tokens("requested_tokens", body.RequestedTokens);
        else v.Tokens("base_tokens", body.BaseTokens);
        if (!AllocationPolicy.TryParse(body.Priority, out var priority)) v.Add("priority", "must be low, normal, high or critical");
        var from = v.Pool("from", body.From);
        if (from is not null && from == agentId) v.Add("from", "an account cannot fund itself");
        if (body.Purpose is { Length: > 500 }) v.Add("purpose", "must be at most 500 characters");
        var key = v.Key(body.IdempotencyKey, required: false);
        if (!v.IsValid) return v.Problem();
        return (await accounts.AllocateAsync(agentId, body.BaseTokens is null ? body.RequestedTokens : null, body.BaseTokens, priority, body.Purpose, from, key, ct)).ToOk();
    }

    private static async Task<Results<Ok<ReturnResponse>, ValidationProblem, ProblemHttpResult>> ReturnAsync(
        ReturnRequest body, AccountOperations accounts, CancellationToken ct)
    {
        var v = new RequestValidation();
        var agentId = v.AccountId("agent_id", body.AgentId);
        var to = body.To == AccountBook.Global ? AccountBook.Global : v.Pool("to", body.To);
        var key = v.Key(body.IdempotencyKey, required: false);
        if (!v.IsValid) return v.Problem();
        return (await accounts.ReturnAsync(agentId, to, key, ct)).ToOk();
    }

    private static async Task<Results<Ok<AccountResponse>, ProblemHttpResult>> GetAgentAsync(string agentId, AccountQueries queries, CancellationToken ct) =>
        await queries.AgentAsync(agentId, ct) is { } agent ? TypedResults.Ok(agent) : Problems.NotFound($"agent {agentId} has no allocation");

    private static async Task<Results<Ok<TransactionsResponse>, ValidationProblem>> TransactionsAsync(
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "agent_id")] string? agentId, int? limit, AccountQueries queries, CancellationToken ct)
    {
        if (limit is < 1 or > 1000) return Problems.Invalid("limit", "must be between 1 and 1000");
        return TypedResults.Ok(await queries.TransactionsAsync(agentId, limit ?? 100, ct));
    }

    private static async Task<Results<Ok<UsageResponse>, ValidationProblem>> UsageAsync(int? hours, AccountQueries queries, CancellationToken ct)
    {
        if (hours is < 1 or > 24 * 366) return Problems.Invalid("hours", "must be between 1 and 8784");
        return TypedResults.Ok(await queries.UsageAsync(hours ?? 24, ct));
    }

    private static async Task<Ok<EfficiencyResponse>> EfficiencyAsync(AccountQueries queries, CancellationToken ct) =>
        TypedResults.Ok(await queries.EfficiencyAsync(ct));
}
