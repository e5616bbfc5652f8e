using Dean.Economy.Infrastructure;
using Dean.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dean.Economy.Ledger;

public static class LedgerApi
{
    public static IEndpointRouteBuilder MapLedgerApi(this IEndpointRouteBuilder app)
    {
        var ledger = app.MapGroup("/api/v1/economy/ledger").WithTags("Economy").RequireAuthorization(Policies.Operator);
        ledger.MapGet("/export", ExportAsync)
            .WithName("ExportLedger").WithSummary("Ledger rows older than a time, oldest first, a page at a time (for archiving)");
        ledger.MapPost("/prune", PruneAsync)
            .WithName("PruneLedger").WithSummary("Delete exported ledger rows and old idempotency records; never anything younger than 7 days")
            .RequireAuthorization(Policies.AdminOrService);
        return app;
    }

    private static async Task<Results<Ok<LedgerPage>, ValidationProblem>> ExportAsync(
        DateTimeOffset? before, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "after_id")] long? afterId, int? limit, LedgerHistory history, CancellationToken ct)
    {
        var v = new RequestValidation();
        if (before is null) v.Add("before", "is required (an ISO 8601 time)");
        if (afterId is < 0) v.Add("after_id", "must not be negative");
        if (limit is < 1 or > LedgerHistory.MaxPage) v.Add("limit", $"must be 1-{LedgerHistory.MaxPage}");
        if (!v.IsValid) return v.Problem();
        return TypedResults.Ok(await history.PageAsync(before!.Value, afterId ?? 0, limit ?? 1000, ct));
    }

    private static async Task<Results<Ok<PruneResponse>, ValidationProblem>> PruneAsync(
        PruneRequest? body, LedgerHistory history, TimeProvider time, CancellationToken ct)
    {
        var v = new RequestValidation();
        if (body?.ThroughId is not { } throughId || throughId < 0) v.Add("through_id", "is required: the last exported ledger id (>= 0)");
        var latest = time.GetUtcNow() - LedgerHistory.MinimumRetention;
        if (body?.Before is not { } before) v.Add("before", "is required (an ISO 8601 time)");
        else if (before > latest) v.Add("before", $"must be at least {LedgerHistory.MinimumRetention.TotalDays:F0} days ago (not after {latest:O})");
        if (!v.IsValid) return v.Problem();
        return TypedResults.Ok(await history.PruneAsync(body!.ThroughId!.Value, body.Before!.Value, ct));
    }
}
