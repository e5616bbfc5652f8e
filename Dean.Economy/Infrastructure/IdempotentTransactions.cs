using Dapper;
using Npgsql;

namespace Dean.Economy.Infrastructure;

/// <summary>
/// Runs a mutating operation in one transaction together with its idempotency record. The key is claimed first
/// (a concurrent request with the same key waits on the primary key, then replays), the work runs under a savepoint
/// so a refusal undoes everything but the remembered answer, and the answer is written before commit.
/// </summary>
public sealed class IdempotentTransactions(NpgsqlDataSource db)
{
    public async Task<Outcome<T>> RunAsync<T>(string? key, string operation,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<Outcome<T>>> work, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (key is not null)
        {
            var claimed = await connection.ExecuteAsync(
                "INSERT INTO economy_idempotency (key, operation, status, body) VALUES (@key, @operation, 0, '{}') ON CONFLICT (key) DO NOTHING",
                new { key, operation }, tx);
            if (claimed == 0)
            {
                await tx.RollbackAsync(ct);
                return await ReplayAsync<T>(connection, key, operation, ct);
            }
            await tx.SaveAsync("work", ct);
        }

        var outcome = await work(connection, tx);
        if (outcome.Refusal is not null)
        {
            if (key is null)
            {
                await tx.RollbackAsync(ct);
                return outcome;
            }
            await tx.RollbackAsync("work", ct);
        }
        if (key is not null)
        {
            await connection.ExecuteAsync("UPDATE economy_idempotency SET status = @status, body = @body::jsonb WHERE key = @key",
                new { key, status = outcome.Status(StatusCodes.Status200OK), body = outcome.ToStoredBody() }, tx);
        }
        await tx.CommitAsync(ct);
        return outcome;
    }

    public static async Task<Outcome<T>> ReplayAsync<T>(NpgsqlConnection connection, string key, string operation, CancellationToken ct)
    {
        var stored = await connection.QuerySingleAsync<(string Operation, int Status, string Body)>(new CommandDefinition(
            "SELECT operation, status, body::text FROM economy_idempotency WHERE key = @key", new { key }, cancellationToken: ct));
        return stored.Operation != operation
            ? Outcome<T>.Refused(Refusal.Conflict(ProblemTypes.IdempotencyKeyReused, $"idempotency key '{key}' was already used for {stored.Operation}"))
            : Outcome<T>.FromStored(stored.Status, stored.Body, replayed: true);
    }

    public async Task<Outcome<T>> ReplayAsync<T>(string key, string operation, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ReplayAsync<T>(connection, key, operation, ct);
    }
}
