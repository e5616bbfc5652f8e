using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dean.ServiceDefaults.Http;

namespace Dean.IndexAgent.Economy;

public sealed record Allocation(string AgentId, long AllocatedTokens, long RequestedTokens, long RemainingBudget, long? AllocationId);

public sealed record Reservation(string ReservationId, string AgentId, long Tokens, DateTimeOffset ExpiresAt);

public sealed record Settlement(string ReservationId, long Charged, long Released, long AgentRemaining);

public sealed record ReturnedAllocation(string AgentId, long Returned, string To, long AgentAllocated, long Consumed, long Reserved);

public sealed record EconomyAccount(string AgentId, long Allocated, long Consumed, long Reserved, long Remaining, double Efficiency, string? Status, string? Source);

/// <summary>The governance constraints (<c>GET /api/v1/evolution/constraints</c>) the population step respects.</summary>
public sealed record EvolutionConstraints(double MinDiversity, int MaxGenerations, long TokenLimitPerGeneration, long MaxTokensPerAgent,
    double[] MutationRateRange, int[] PopulationSizeRange);

/// <summary>The Economy refused: budget_exceeded (409) or an unknown agent (404).</summary>
public sealed class EconomyRefusedException(string type, string detail) : Exception(detail)
{
    public string Type { get; } = type;
}

/// <summary>
/// Typed client of the Economy (<c>/api/v1/economy</c>). Every mutating call carries an idempotency key, because the
/// standard resilience handler may retry a POST whose answer was lost.
/// </summary>
public sealed class EconomyClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = Microsoft.Extensions.Hosting.Extensions.DeanJson;

    public Task<Allocation> AllocateAsync(string agentId, long tokens, string priority, string? cycleId, string idempotencyKey, CancellationToken ct) =>
        PostAsync<Allocation>("/api/v1/economy/allocate", new
        {
            agent_id = agentId,
            requested_tokens = tokens,
            priority,
            purpose = "agent spawn",
            from = cycleId is null ? null : $"cycle:{cycleId}",
            idempotency_key = idempotencyKey,
        }, ct);

    public Task<Reservation> ReserveAsync(string agentId, long tokens, string idempotencyKey, CancellationToken ct) =>
        PostAsync<Reservation>("/api/v1/economy/reserve", new { agent_id = agentId, tokens, idempotency_key = idempotencyKey }, ct);

    /// <summary>Charges <paramref name="actualTokens"/> (at most the reservation) and reports the value (fitness gain) they produced.</summary>
    public Task<Settlement> SettleAsync(string reservationId, long actualTokens, double value, string idempotencyKey, CancellationToken ct) =>
        PostAsync<Settlement>("/api/v1/economy/settle", new { reservation_id = reservationId, actual_tokens = actualTokens, value, idempotency_key = idempotencyKey }, ct);

    public async Task ReleaseAsync(string reservationId, string idempotencyKey, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/economy/release", new { reservation_id = reservationId, idempotency_key = idempotencyKey }, Json, ct);
        await EnsureAsync(response, ct);
    }

    /// <summary>Gives an agent's unused allocation back to the pool that funded it; returns how many tokens went back.</summary>
    public async Task<long> ReturnUnusedAsync(string agentId, string idempotencyKey, CancellationToken ct) =>
        (await PostAsync<ReturnedAllocation>("/api/v1/economy/return", new { agent_id = agentId, idempotency_key = idempotencyKey }, ct)).Returned;

    public async Task<EconomyAccount?> GetAccountAsync(string agentId, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/api/v1/economy/agents/{Uri.EscapeDataString(agentId)}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureAsync(response, ct);
        return await response.Content.ReadFromJsonAsync<EconomyAccount>(Json, ct);
    }

    public async Task<EvolutionConstraints> GetConstraintsAsync(CancellationToken ct)
    {
        using var response = await http.GetAsync("/api/v1/evolution/constraints", ct);
        await EnsureAsync(response, ct);
        return (await response.Content.ReadFromJsonAsync<EvolutionConstraints>(Json, ct))!;
    }

    private async Task<T> PostAsync<T>(string path, object body, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(path, body, Json, ct);
        await EnsureAsync(response, ct);
        return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
    }

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var text = await response.Content.ReadAsStringAsync(ct);
        string? type = null, detail = null;
        try
        {
            using var problem = JsonDocument.Parse(text);
            type = problem.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
            detail = problem.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
        }
        catch (JsonException)
        {
        }
        if (response.StatusCode == HttpStatusCode.Conflict && type == Problems.BudgetExceededType)
            throw new EconomyRefusedException(Problems.BudgetExceededType, detail ?? "budget exceeded");
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new EconomyRefusedException("not_found", detail ?? "unknown at the Economy");
        throw new HttpRequestException($"Economy answered {(int)response.StatusCode} to {response.RequestMessage?.RequestUri?.AbsolutePath}: {detail ?? text}", null, response.StatusCode);
    }
}

/// <summary>An Economy that does not answer is the dependency's outage, not this service's fault: 503, never a bare 500.</summary>
public static class EconomyUnavailable
{
    public static TBuilder AnswersServiceUnavailable<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (Exception ex) when (ex is HttpRequestException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, type: "economy_unavailable",
                    title: "Economy unavailable", detail: ex.Message);
            }
        });
        return builder;
    }
}

