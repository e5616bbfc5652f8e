using Dean.Economy.Accounts;
using Dean.Economy.Infrastructure;
using Dean.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Dean.Economy.Reservations;

public static class ReservationsApi
{
    public static IEndpointRouteBuilder MapReservationsApi(this IEndpointRouteBuilder app)
    {
        var economy = app.MapGroup("/api/v1/economy").WithTags("Economy").RequireAuthorization(Policies.Operator);

        economy.MapPost("/reserve", ReserveAsync)
            .WithName("Reserve").WithSummary("Reserve tokens against an agent's remaining allocation (atomic; never overspends)");
        economy.MapPost("/settle", SettleAsync)
            .WithName("Settle").WithSummary("Charge the actual tokens (at most the reservation) and release the rest");
        economy.MapPost("/release", ReleaseAsync)
            .WithName("Release").WithSummary("Release a reservation without charging anything");
        app.MapGet("/api/v1/economy/reservations/{reservationId:guid}", GetAsync).WithTags("Economy").RequireAuthorization(Policies.Viewer)
            .WithName("GetReservation").WithSummary("A reservation and its state: active, settled, released or expired");
        economy.MapPost("/reservations/expire", ExpireAsync)
            .WithName("ExpireReservations").WithSummary("Release every reservation past its expiry now (also done in the background)");
        return app;
    }

    private static async Task<Results<Created<ReservationResponse>, ValidationProblem, ProblemHttpResult>> ReserveAsync(
        ReserveRequest body, ReservationStore store, EconomyMetrics metrics, IOptions<EconomyOptions> options, CancellationToken ct)
    {
        var v = new RequestValidation();
        var agentId = v.AccountId("agent_id", body.AgentId);
        var tokens = v.Tokens("tokens", body.Tokens);
        var key = v.Key(body.IdempotencyKey, required: true);
        var maxTtl = options.Value.MaxReservationTtlSeconds;
        if (body.TtlSeconds is { } t && (t < 1 || t > maxTtl)) v.Add("ttl_seconds", $"must be between 1 and {maxTtl}");
        if (!v.IsValid) return v.Problem();

        var outcome = await store.ReserveAsync(agentId, tokens, key, body.TtlSeconds ?? options.Value.ReservationTtlSeconds, ct);
        if (!outcome.Replayed && outcome.Refusal?.Reason is { } reason) metrics.Refused(reason);
        if (outcome.Refusal is { } refusal) return refusal.ToProblem();
        return TypedResults.Created($"/api/v1/economy/reservations/{outcome.Value!.ReservationId}", outcome.Value);
    }

    private static async Task<Results<Ok<SettlementResponse>, ValidationProblem, ProblemHttpResult>> SettleAsync(
        SettleRequest body, ReservationStore store, EconomyMetrics metrics, CancellationToken ct)
    {
        var v = new RequestValidation();
        if (body.ReservationId is null) v.Add("reservation_id", "is required");
        var actual = v.Tokens("actual_tokens", body.ActualTokens, allowZero: true);
        if (body.Value is { } value && (!double.IsFinite(value) || value < 0)) v.Add("value", "must be a non-negative number");
        var key = v.Key(body.IdempotencyKey, required: true);
        if (!v.IsValid) return v.Problem();

        var outcome = await store.CloseAsync(body.ReservationId!.Value, CloseMode.Settle, actual, body.Value ?? 0, key, ct);
        if (!outcome.Replayed && outcome.Value is { } settled) metrics.Consumed(settled.AgentId, settled.Charged);
        return outcome.ToOk();
    }

    private static async Task<Results<Ok<SettlementResponse>, ValidationProblem, ProblemHttpResult>> ReleaseAsync(
        ReleaseRequest body, ReservationStore store, CancellationToken ct)
    {
        var v = new RequestValidation();
        if (body.ReservationId is null) v.Add("reservation_id", "is required");
        var key = v.Key(body.IdempotencyKey, required: false);
        if (!v.IsValid) return v.Problem();
        return (await store.CloseAsync(body.ReservationId!.Value, CloseMode.Release, 0, 0, key, ct)).ToOk();
    }

    private static async Task<Results<Ok<ReservationView>, ProblemHttpResult>> GetAsync(Guid reservationId, ReservationStore store, CancellationToken ct) =>
        await store.FindAsync(reservationId, ct) is { } view ? TypedResults.Ok(view) : Dean.ServiceDefaults.Http.Problems.NotFound($"reservation {reservationId} does not exist");

    private static async Task<Ok<ExpireResponse>> ExpireAsync(ReservationExpiry expiry, CancellationToken ct) =>
        TypedResults.Ok(await expiry.ExpireDueAsync(ct));
}

/// <summary>Releases reservations past their expiry, one atomic statement each (the same one release uses).</summary>
public sealed class ReservationExpiry(ReservationStore store)
{
    public async Task<ExpireResponse> ExpireDueAsync(CancellationToken ct)
    {
        var expired = new List<Guid>();
        long released = 0;
        while (true)
        {
            var due = await store.ExpiredAsync(500, ct);
            var progressed = 0;
            foreach (var id in due)
            {
                // Another sweeper or a late settle may have closed it first: then it is simply not ours to expire.
                var outcome = await store.CloseAsync(id, CloseMode.Expire, 0, 0, null, ct);
                if (outcome.Value is not { } closed) continue;
                expired.Add(id);
                released += closed.Released;
                progressed++;
            }
            if (due.Count < 500 || progressed == 0) break;
        }
        return new ExpireResponse(expired.Count, released, expired);
    }
}

/// <summary>Runs the expiry sweep every <c>Economy:ExpirySweepSeconds</c>, so a crashed agent's reservation comes back.</summary>
public sealed class ReservationExpiryService(ReservationExpiry expiry, IOptions<EconomyOptions> options, ILogger<ReservationExpiryService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.ExpirySweepSeconds)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var result = await expiry.ExpireDueAsync(stoppingToken);
                if (result.Expired > 0) logger.LogInformation("Expired {Count} reservations, {Tokens} tokens released", result.Expired, result.ReleasedTokens);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                logger.LogWarning(ex, "Reservation expiry sweep failed; retrying next tick");
            }
        }
    }
}
