using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dean.Orchestrator.Clients;

/// <summary>The orchestrator's view of the Evolution API (economy), called with the orchestrator's service identity.</summary>
public sealed class EconomyClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = Microsoft.Extensions.Hosting.Extensions.DeanJson;

    /// <summary>The outcome of an allocation: granted, or refused because the budget (or pool) cannot fund it.</summary>
    public sealed record AllocationResult(AllocationResponse? Granted, string? RefusalDetail)
    {
        public bool Refused => Granted is null;
    }

    public Task<BudgetResponse> GetBudgetAsync(CancellationToken ct) => http.GetDeanAsync<BudgetResponse>("/api/v1/economy/budget", ct);

    public Task<EvolutionConstraints> GetConstraintsAsync(CancellationToken ct) => http.GetDeanAsync<EvolutionConstraints>("/api/v1/evolution/constraints", ct);

    public Task<UsageResponse> GetUsageAsync(int hours, CancellationToken ct) => http.GetDeanAsync<UsageResponse>($"/api/v1/economy/usage?hours={hours}", ct);

    public async Task<AccountResponse?> GetAccountAsync(string accountId, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/api/v1/economy/agents/{Uri.EscapeDataString(accountId)}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await DownstreamException.ThrowIfFailedAsync(response, ct);
        return await response.Content.ReadFromJsonAsync<AccountResponse>(Json, ct);
    }

    public Task<ValidationResponse> ValidateAsync(int populationSize, int generations, long tokenBudget, double? currentDiversity, CancellationToken ct) =>
        http.PostDeanAsync<ValidationResponse>("/api/v1/evolution/validate", new ValidateRequest(populationSize, generations, tokenBudget, null, currentDiversity), ct);

    /// <summary>Allocates to an account (an agent or <c>cycle:{id}</c>), optionally drawing from a pool; idempotent by key.</summary>
    public async Task<AllocationResult> AllocateAsync(string accountId, long tokens, string priority, string purpose, string? fromPool, string idempotencyKey, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/economy/allocate",
            new AllocateRequest(accountId, tokens, priority, purpose, fromPool, idempotencyKey), Json, ct);
        if (!response.IsSuccessStatusCode)
        {
            var failure = await DownstreamException.FromAsync(response, ct);
            if (failure.Is(HttpStatusCode.Conflict, ProblemTypes.BudgetExceeded)) return new AllocationResult(null, failure.Detail ?? "budget exceeded");
            throw failure;
        }
        return new AllocationResult(await response.Content.ReadFromJsonAsync<AllocationResponse>(Json, ct), null);
    }

    /// <summary>Returns an account's unused allocation to its pool (or the global budget when <paramref name="toPool"/> is null).</summary>
    public async Task<long> ReturnUnusedAsync(string accountId, string? toPool, string idempotencyKey, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/economy/return", new ReturnRequest(accountId, toPool, idempotencyKey), Json, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return 0;
        await DownstreamException.ThrowIfFailedAsync(response, ct);
        return (await response.Content.ReadFromJsonAsync<ReturnResponse>(Json, ct))!.Returned;
    }

    /// <summary>A page of the ledger's rows older than <paramref name="before"/>, oldest first.</summary>
    public Task<LedgerPage> LedgerPageAsync(DateTimeOffset before, long afterId, int limit, CancellationToken ct) =>
        http.GetDeanAsync<LedgerPage>($"/api/v1/economy/ledger/export?before={Uri.EscapeDataString(before.UtcDateTime.ToString("O"))}&after_id={afterId}&limit={limit}", ct);

    public Task<PruneResponse> PruneLedgerAsync(long throughId, DateTimeOffset before, CancellationToken ct) =>
        http.PostDeanAsync<PruneResponse>("/api/v1/economy/ledger/prune", new PruneRequest(throughId, before), ct);

    public Task<DecayResponse> DecayAsync(CancellationToken ct) => http.PostDeanAsync<DecayResponse>("/api/v1/economy/decay", new GovernanceRequest(null), ct);

    public Task<RebalanceResponse> RebalanceAsync(CancellationToken ct) => http.PostDeanAsync<RebalanceResponse>("/api/v1/economy/rebalance", new GovernanceRequest(null), ct);

    public Task<ExpireResponse> ExpireReservationsAsync(CancellationToken ct) => http.PostDeanAsync<ExpireResponse>("/api/v1/economy/reservations/expire", new { }, ct);

    public Task<ReleaseAllResponse> ReleaseAllReservationsAsync(CancellationToken ct) =>
        http.PostDeanAsync<ReleaseAllResponse>("/api/v1/economy/reservations/release-all", new { }, ct);
}
