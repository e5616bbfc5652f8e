using Dean.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Dean.Economy.Reservations;

/// <summary>
/// <c>POST /api/v1/economy/reservations/release-all</c>: the emergency stop's way to hand back every open reservation.
/// Each one is closed by the same atomic statement as <c>/release</c> (ledger row included); one settled concurrently
/// is simply not released.
/// </summary>
public static class ReleaseAllApi
{
    public static IEndpointRouteBuilder MapReleaseAllApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/economy/reservations/release-all", ReleaseAllAsync).RequireAuthorization(Policies.Operator)
            .WithName("ReleaseAllReservations").WithSummary("Release every active reservation now, charging nothing (emergency stop)")
            .WithTags("Economy");
        return app;
    }

    private static async Task<Ok<ReleaseAllResponse>> ReleaseAllAsync(NpgsqlDataSource db, ReservationStore store, CancellationToken ct)
    {
        var ids = new List<Guid>();
        await using (var command = db.CreateCommand("SELECT reservation_id FROM economy_reservations WHERE status = 'active' ORDER BY created_at"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        }
        var released = new List<Guid>();
        long tokens = 0;
        foreach (var id in ids)
        {
            var outcome = await store.CloseAsync(id, CloseMode.Release, 0, 0, null, ct);
            if (outcome.Value is not { } closed) continue;
            released.Add(id);
            tokens += closed.Released;
        }
        return TypedResults.Ok(new ReleaseAllResponse(released.Count, tokens, released));
    }
}
