using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dean.Orchestrator.Clients;

/// <summary>The orchestrator's view of the Evolution API (economy), called with the orchestrator's service identity.</summary>
public sealed class EconomyClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = Microsoft.Extensions.Hosting.Extensions.DeanJson;

    public sealed record Budget(long GlobalBudget, long Allocated, long Consumed, long Reserved, long Available, long Reserve, int AgentsCount, double EfficiencyScore);

    public sealed record Account(string AgentId, long Allocated, long Consumed, long Reserved, long Remaining, double Efficiency, string Status, string? Source);

    public sealed record Allocation(string AgentId, long AllocatedTokens, long RequestedTokens, long RemainingBudget, long AllocationId);

    public sealed record Violation(string Constraint, JsonElement Value, JsonElement Limit, string Message);

    public sealed record Validation(bool Valid, IReadOnlyList<Violation> Violations, long EstimatedTokens);

    public sealed record Constraints(double MinDiversity, int MaxGenerations, long TokenLimitPerGeneration, long MaxTokensPerAgent,
        [property: JsonPropertyName("mutation_rate_range")] double[] MutationRateRange,
        [property: JsonPropertyName("population_size_range")] int[] PopulationSizeRange);

    public sealed record UsageByAgent(string AgentId, long Allocated, long Consumed);

    public sealed record Usage(long TotalAllocated, long TotalConsumed, IReadOnlyList<UsageByAgent> ByAgent);

    /// <summary>The outcome of an allocation: granted, or refused because the budget (or pool) cannot fund it.</summary>
    public sealed record AllocationResult(Allocation? Granted, string? RefusalDetail)
    {
        public bool Refused => Granted is null;
    }

    public async Task<Budget> GetBudgetAsync(CancellationToken ct) =>
        (await http.GetFromJsonAsync<Budget>("/api/v1/economy/budget", Json, ct))!;

    public async Task<Constraints> GetConstraintsAsync(CancellationToken ct) =>
        (await http.GetFromJsonAsync<Constraints>("/api/v1/evolution/constraints", Json, ct))!;

    public async Task<Usage> GetUsageAsync(int hours, CancellationToken ct) =>
        (await http.GetFromJsonAsync<Usage>($"/api/v1/economy/usage?hours={hours}", Json, ct))!;

    public async Task<Account?> GetAccountAsync(string accountId, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/api/v1/economy/agents/{Uri.EscapeDataString(accountId)}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<Account>(Json, ct);
    }

    public async Task<Validation> ValidateAsync(int populationSize, int generations, long tokenBudget, double? currentDiversity, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/evolution/validate",
            new { population_size = populationSize, generations, token_budget = tokenBudget, current_diversity = currentDiversity }, Json, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<Validation>(Json, ct))!;
    }

    /// <summary>Allocates to an account (an agent or <c>cycle:{id}</c>), optionally drawing from a pool; idempotent by key.</summary>
    public async Task<AllocationResult> AllocateAsync(string accountId, long tokens, string priority, string purpose, string? fromPool, string idempotencyKey, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/economy/allocate", new
        {
            agent_id = accountId,
            requested_tokens = tokens,
            priority,
            purpose,
            from = fromPool,
            idempotency_key = idempotencyKey,
        }, Json, ct);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json, ct);
            return new AllocationResult(null, problem.TryGetProperty("detail", out var detail) ? detail.GetString() : "budget exceeded");
        }
        await DownstreamException.ThrowIfFailedAsync(response, ct);
        return new AllocationResult(await response.Content.ReadFromJsonAsync<Allocation>(Json, ct), null);
    }

    /// <summary>Returns an account's unused allocation to its pool (or the global budget when <paramref name="toPool"/> is null).</summary>
    public async Task<long> ReturnUnusedAsync(string accountId, string? toPool, string idempotencyKey, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/economy/return",
            new { agent_id = accountId, to = toPool, idempotency_key = idempotencyKey }, Json, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return 0;
        await DownstreamException.ThrowIfFailedAsync(response, ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Json, ct);
        return body.TryGetProperty("returned", out var returned) ? returned.GetInt64() : 0;
    }

    /// <summary>A page of the ledger's rows older than <paramref name="before"/>, oldest first, as the Economy wrote them.</summary>
    public sealed record LedgerPage(IReadOnlyList<JsonElement> Transactions, long? NextAfterId);

    public async Task<LedgerPage> LedgerPageAsync(DateTimeOffset before, long afterId, int limit, CancellationToken ct) =>
        (await http.GetFromJsonAsync<LedgerPage>(
            $"/api/v1/economy/ledger/export?before={Uri.EscapeDataString(before.UtcDateTime.ToString("O"))}&after_id={afterId}&limit={limit}", Json, ct))!;

    public async Task<JsonElement> PostAsync(string path, object body, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(path, body, Json, ct);
        await DownstreamException.ThrowIfFailedAsync(response, ct);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Json, ct);
    }
}

/// <summary>A DEAN service answered with an error status; the body (usually ProblemDetails) is kept for the caller.</summary>
public sealed class DownstreamException(HttpStatusCode status, string message, string body) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
    public string Body { get; } = body;

    /// <summary>Throws with the service's answer when the response is not a success.</summary>
    public static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(ct);
        throw new DownstreamException(response.StatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}: {body}", body);
    }
}
