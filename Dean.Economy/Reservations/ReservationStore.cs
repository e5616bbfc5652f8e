using Dean.Economy.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Dean.Economy.Reservations;

public sealed record ReservationView(Guid ReservationId, string AgentId, long Tokens, string Status, long? Charged,
    DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? ClosedAt);

public enum CloseMode { Settle, Release, Expire }

/// <summary>
/// The hot path. Reserve and settle are each ONE SQL statement: the guarded account update (the row lock serialises
/// concurrent callers, the WHERE clause re-checks the balance after the lock), the reservation, the ledger row and the
/// idempotency record are written together or not at all. A replayed key fails the idempotency insert, which aborts
/// the whole statement, and the stored first answer is returned instead.
/// </summary>
public sealed class ReservationStore(NpgsqlDataSource db)
{
    public const string ReserveSql = """
        WITH acct AS (
            UPDATE economy_accounts
               SET reserved = reserved + @tokens, last_activity_at = now(), decay_hours_applied = 0
             WHERE account_id = @agent AND allocated - consumed - reserved - suballocated >= @tokens
            RETURNING account_id, allocated - consumed - reserved - suballocated AS remaining
        ), res AS (
            INSERT INTO economy_reservations (reservation_id, account_id, tokens, status, expires_at)
            SELECT @rid, account_id, @tokens, 'active', now() + make_interval(secs => @ttl) FROM acct
            RETURNING reservation_id, account_id, tokens, expires_at
        ), led AS (
            INSERT INTO economy_ledger (account_id, type, amount, balance_before, balance_after, reference, idempotency_key)
            SELECT account_id, 'reservation', @tokens, remaining + @tokens, remaining, @rid::text, @key FROM acct
        ), outcome AS (
            SELECT 201 AS status,
                   jsonb_build_object('reservation_id', reservation_id, 'agent_id', account_id, 'tokens', tokens,
                       'expires_at', to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')) AS body
              FROM res
            UNION ALL
            SELECT CASE WHEN a.account_id IS NULL THEN 404 ELSE 409 END,
                   CASE WHEN a.account_id IS NULL
                        THEN jsonb_build_object('type', 'not_found', 'detail', 'agent ' || @agent || ' has no allocation')
                        ELSE jsonb_build_object('type', 'budget_exceeded', 'reason', 'insufficient_allocation',
                            'detail', 'agent ' || @agent || ' has ' || (a.allocated - a.consumed - a.reserved - a.suballocated)
                                      || ' tokens left, ' || @tokens || ' requested') END
              FROM (SELECT 1) AS one LEFT JOIN economy_accounts a ON a.account_id = @agent
             WHERE NOT EXISTS (SELECT 1 FROM res)
        ), idem AS (
            INSERT INTO economy_idempotency (key, operation, status, body)
            SELECT @key, 'reserve', status, body FROM outcome WHERE @key IS NOT NULL
        )
        SELECT status, body::text FROM outcome
        """;

    /// <summary>Settle, release and expiry close a reservation the same way; they differ in what is charged.</summary>
    public const string CloseSql = """
        WITH res AS (
            UPDATE economy_reservations
               SET status = @status, charged = LEAST(@actual, tokens), closed_at = now()
             WHERE reservation_id = @rid AND status = 'active' AND (NOT @expiredOnly OR expires_at <= now())
            RETURNING reservation_id, account_id, tokens, charged
        ), acct AS (
            UPDATE economy_accounts a
               SET reserved = a.reserved - res.tokens, consumed = a.consumed + res.charged,
                   value_generated = a.value_generated + @value,
                   last_activity_at = CASE WHEN @touch THEN now() ELSE a.last_activity_at END,
                   decay_hours_applied = CASE WHEN @touch THEN 0 ELSE a.decay_hours_applied END
              FROM res
             WHERE a.account_id = res.account_id
            RETURNING a.account_id, res.reservation_id, res.tokens, res.charged,
                      a.allocated - a.consumed - a.reserved - a.suballocated AS remaining
        ), led AS (
            INSERT INTO economy_ledger (account_id, type, amount, balance_before, balance_after, reference, idempotency_key)
            SELECT account_id, @ledgerType, CASE WHEN @status = 'settled' THEN charged ELSE tokens - charged END,
                   remaining - (tokens - charged), remaining, reservation_id::text, @key
              FROM acct
        ), outcome AS (
            SELECT 200 AS status,
                   jsonb_build_object('reservation_id', reservation_id, 'agent_id', account_id, 'charged', charged,
                       'released', tokens - charged, 'agent_remaining', remaining) AS body
              FROM acct
            UNION ALL
            SELECT CASE WHEN r.reservation_id IS NULL THEN 404 ELSE 409 END,
                   CASE WHEN r.reservation_id IS NULL
                        THEN jsonb_build_object('type', 'not_found', 'detail', 'reservation ' || @rid::text || ' does not exist')
                        ELSE jsonb_build_object('type', 'reservation_closed', 'detail', 'reservation ' || @rid::text || ' is no longer active') END
              FROM (SELECT 1) AS one LEFT JOIN economy_reservations r ON r.reservation_id = @rid
             WHERE NOT EXISTS (SELECT 1 FROM acct)
        ), idem AS (
            INSERT INTO economy_idempotency (key, operation, status, body)
            SELECT @key, @operation, status, body FROM outcome WHERE @key IS NOT NULL
        )
        SELECT status, body::text FROM outcome
        """;

    public async Task<Outcome<ReservationResponse>> ReserveAsync(string agentId, long tokens, string? key, double ttlSeconds, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(ReserveSql, connection);
        command.Parameters.Add(new NpgsqlParameter<string>("agent", NpgsqlDbType.Text) { TypedValue = agentId });
        command.Parameters.Add(new NpgsqlParameter<long>("tokens", NpgsqlDbType.Bigint) { TypedValue = tokens });
        command.Parameters.Add(new NpgsqlParameter<Guid>("rid", NpgsqlDbType.Uuid) { TypedValue = Guid.CreateVersion7() });
        command.Parameters.Add(new NpgsqlParameter<double>("ttl", NpgsqlDbType.Double) { TypedValue = ttlSeconds });
        command.Parameters.Add(KeyParameter(key));
        return await RunAsync<ReservationResponse>(command, key, "reserve", ct);
    }

    public async Task<Outcome<SettlementResponse>> CloseAsync(Guid reservationId, CloseMode mode, long actualTokens, double value, string? key, CancellationToken ct)
    {
        var (status, ledgerType, operation) = mode switch
        {
            CloseMode.Settle => ("settled", "settlement", "settle"),
            CloseMode.Release => ("released", "release", "release"),
            _ => ("expired", "release", "expire"),
        };
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(CloseSql, connection);
        command.Parameters.Add(new NpgsqlParameter<Guid>("rid", NpgsqlDbType.Uuid) { TypedValue = reservationId });
        command.Parameters.Add(new NpgsqlParameter<string>("status", NpgsqlDbType.Text) { TypedValue = status });
        command.Parameters.Add(new NpgsqlParameter<long>("actual", NpgsqlDbType.Bigint) { TypedValue = mode == CloseMode.Settle ? actualTokens : 0 });
        command.Parameters.Add(new NpgsqlParameter<bool>("expiredOnly", NpgsqlDbType.Boolean) { TypedValue = mode == CloseMode.Expire });
        command.Parameters.Add(new NpgsqlParameter<bool>("touch", NpgsqlDbType.Boolean) { TypedValue = mode != CloseMode.Expire });
        command.Parameters.Add(new NpgsqlParameter<double>("value", NpgsqlDbType.Double) { TypedValue = mode == CloseMode.Settle ? value : 0 });
        command.Parameters.Add(new NpgsqlParameter<string>("ledgerType", NpgsqlDbType.Text) { TypedValue = ledgerType });
        command.Parameters.Add(new NpgsqlParameter<string>("operation", NpgsqlDbType.Text) { TypedValue = operation });
        command.Parameters.Add(KeyParameter(key));
        return await RunAsync<SettlementResponse>(command, key, operation, ct);
    }

    public async Task<ReservationView?> FindAsync(Guid reservationId, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            "SELECT reservation_id, account_id, tokens, status, charged, created_at, expires_at, closed_at FROM economy_reservations WHERE reservation_id = @rid");
        command.Parameters.Add(new NpgsqlParameter<Guid>("rid", NpgsqlDbType.Uuid) { TypedValue = reservationId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
        return new ReservationView(reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetInt64(4), Utc(reader.GetDateTime(5)), Utc(reader.GetDateTime(6)),
            reader.IsDBNull(7) ? null : Utc(reader.GetDateTime(7)));
    }

    /// <summary>Active reservations past their expiry, oldest first.</summary>
    public async Task<IReadOnlyList<Guid>> ExpiredAsync(int limit, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            "SELECT reservation_id FROM economy_reservations WHERE status = 'active' AND expires_at <= now() ORDER BY expires_at LIMIT @limit");
        command.Parameters.Add(new NpgsqlParameter<int>("limit", NpgsqlDbType.Integer) { TypedValue = limit });
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        return ids;
    }

    private static NpgsqlParameter KeyParameter(string? key) =>
        new("key", NpgsqlDbType.Text) { Value = (object?)key ?? DBNull.Value };

    private async Task<Outcome<T>> RunAsync<T>(NpgsqlCommand command, string? key, string operation, CancellationToken ct)
    {
        try
        {
            // Prepared once per physical connection (Npgsql keeps it across pool rentals): PostgreSQL stops
            // re-parsing and re-planning the CTE on every call.
            await command.PrepareAsync(ct);
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            return Outcome<T>.FromStored(reader.GetInt32(0), reader.GetString(1), replayed: false);
        }
        catch (PostgresException ex) when (key is not null && ex is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "economy_idempotency_pkey" })
        {
            return await new IdempotentTransactions(db).ReplayAsync<T>(key, operation, ct);
        }
    }
}
