using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dean.IndexAgent.Economy;

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

    public Task<AllocationResponse> AllocateAsync(string agentId, long tokens, string priority, string? cycleId, string idempotencyKey, CancellationToken ct) =>
        PostAsync<AllocationResponse>("/api/v1/economy/allocate",
            new AllocateRequest(agentId, tokens, priority, "agent spawn", cycleId is null ? null : $"cycle:{cycleId}", idempotencyKey), ct);

    public Task<ReservationResponse> ReserveAsync(string agentId, long tokens, string idempotencyKey, CancellationToken ct) =>
        PostAsync<ReservationResponse>("/api/v1/economy/reserve", new ReserveRequest(agentId, tokens, idempotencyKey, null), ct);

    /// <summary>Charges <paramref name="actualTokens"/> (at most the reservation) and reports the value (fitness gain) they produced.</summary>
    public Task<SettlementResponse> SettleAsync(Guid reservationId, long actualTokens, double value, string idempotencyKey, CancellationToken ct) =>
        PostAsync<SettlementResponse>("/api/v1/economy/settle", new SettleRequest(reservationId, actualTokens, value, idempotencyKey), ct);

    public async Task ReleaseAsync(Guid reservationId, string idempotencyKey, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/economy/release", new ReleaseRequest(reservationId, idempotencyKey), Json, ct);
        await EnsureAsync(response, ct);
    }

    /// <summary>Gives an agent's unused allocation back to the pool that funded it; returns how many tokens went back.</summary>
    public async Task<long> ReturnUnusedAsync(string agentId, string idempotencyKey, CancellationToken ct) =>
        (await PostAsync<ReturnResponse>("/api/v1/economy/return", new ReturnRequest(agentId, null, idempotencyKey), ct)).Returned;

    public async Task<AccountResponse?> GetAccountAsync(string agentId, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/api/v1/economy/agents/{Uri.EscapeDataString(agentId)}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureAsync(response, ct);
        return await response.Content.ReadFromJsonAsync<AccountResponse>(Json, ct);
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

    /// <summary>A budget refusal or an unknown account becomes <see cref="EconomyRefusedException"/>; anything else is the Economy's failure.</summary>
    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var failure = await DownstreamException.FromAsync(response, ct);
        if (failure.Is(HttpStatusCode.Conflict, ProblemTypes.BudgetExceeded))
            throw new EconomyRefusedException(ProblemTypes.BudgetExceeded, failure.Detail ?? "budget exceeded");
        if (failure.Status == HttpStatusCode.NotFound)
            throw new EconomyRefusedException(ProblemTypes.NotFound, failure.Detail ?? "unknown at the Economy");
        throw new HttpRequestException(failure.Message, failure, response.StatusCode);
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
                return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, type: ProblemTypes.EconomyUnavailable,
                    title: "Economy unavailable", detail: ex.Message);
            }
        });
        return builder;
    }
}

