using Dapper;
using Npgsql;

namespace Dean.Orchestrator.Emergency;

/// <summary>An emergency stop as stored (materialised by Dapper through its setters: arrays do not bind to constructors).</summary>
public sealed record EmergencyStop
{
    public long Id { get; init; }
    public string RequestedBy { get; init; } = "";
    public string[] StoppedCycles { get; init; } = [];
    public string[] PausedAgents { get; init; } = [];
    public int ReleasedReservations { get; init; }
    public long ReleasedTokens { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? ResumedAt { get; init; }
    public string? ResumedBy { get; init; }
}

/// <summary>The emergency stops, so resume undoes exactly what a stop did and new cycles are refused meanwhile.</summary>
public sealed class EmergencyStore(NpgsqlDataSource db)
{
    private const string Columns = """
        id, requested_by AS requestedby, stopped_cycles AS stoppedcycles, paused_agents AS pausedagents,
        released_reservations AS releasedreservations, released_tokens AS releasedtokens, created_at AS createdat,
        resumed_at AS resumedat, resumed_by AS resumedby
        """;

    public async Task<EmergencyStop?> ActiveAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<EmergencyStop>($"SELECT {Columns} FROM emergency_stops WHERE resumed_at IS NULL");
    }

    /// <summary>Records a stop; a second stop while one is in force adds to it (so one resume undoes both).</summary>
    public async Task<EmergencyStop> RecordAsync(string by, string[] cycles, string[] agents, int reservations, long tokens, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<EmergencyStop>($"""
            INSERT INTO emergency_stops (requested_by, stopped_cycles, paused_agents, released_reservations, released_tokens)
            VALUES (@by, @cycles, @agents, @reservations, @tokens)
            ON CONFLICT ((true)) WHERE resumed_at IS NULL DO UPDATE SET
                stopped_cycles = emergency_stops.stopped_cycles || excluded.stopped_cycles,
                paused_agents = emergency_stops.paused_agents || excluded.paused_agents,
                released_reservations = emergency_stops.released_reservations + excluded.released_reservations,
                released_tokens = emergency_stops.released_tokens + excluded.released_tokens
            RETURNING {Columns}
            """, new { by, cycles, agents, reservations, tokens });
    }

    public async Task<bool> MarkResumedAsync(long id, string by, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(
            "UPDATE emergency_stops SET resumed_at = now(), resumed_by = @by WHERE id = @id AND resumed_at IS NULL", new { id, by }) == 1;
    }
}
