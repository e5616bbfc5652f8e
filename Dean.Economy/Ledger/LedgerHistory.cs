using Dapper;
using Dean.Economy.Accounts;
using Npgsql;

namespace Dean.Economy.Ledger;

/// <summary>
/// The ledger journal's old history: read in id order (for an export) and deleted once exported. Balances live on the
/// accounts, so pruning the journal changes no balance; the per-account chain of balances stays intact from the first
/// kept row on.
/// </summary>
public sealed class LedgerHistory(NpgsqlDataSource db)
{
    /// <summary>History younger than this is never pruned, whatever a request asks.</summary>
    public static readonly TimeSpan MinimumRetention = TimeSpan.FromDays(7);

    public const int MaxPage = 10_000;

    /// <summary>Rows older than <paramref name="before"/> with an id above <paramref name="afterId"/>, oldest first.</summary>
    public async Task<LedgerPage> PageAsync(DateTimeOffset before, long afterId, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = (await c.QueryAsync<(long Id, string Account, string Type, long Amount, long Before, long After, string? Reference, string? Key, DateTime CreatedAt)>(
            new CommandDefinition("""
                SELECT id, account_id, type, amount, balance_before, balance_after, reference, idempotency_key, created_at
                  FROM economy_ledger WHERE created_at < @before AND id > @afterId
                 ORDER BY id LIMIT @limit
                """, new { before = before.UtcDateTime, afterId, limit }, cancellationToken: ct)))
            .Select(r => new LedgerRow(r.Id, r.Account, r.Type, r.Amount, r.Before, r.After, r.Reference, r.Key,
                new DateTimeOffset(DateTime.SpecifyKind(r.CreatedAt, DateTimeKind.Utc))))
            .ToList();
        return new LedgerPage(rows, rows.Count == limit ? rows[^1].Id : null);
    }

    /// <summary>
    /// Deletes journal rows up to <paramref name="throughId"/> that are older than <paramref name="before"/> (what an
    /// export has written), and the idempotency records older than <paramref name="before"/>: a request replayed after
    /// that long is treated as new.
    /// </summary>
    public async Task<PruneResponse> PruneAsync(long throughId, DateTimeOffset before, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var rows = await c.ExecuteAsync(new CommandDefinition("DELETE FROM economy_ledger WHERE id <= @throughId AND created_at < @before",
            new { throughId, before = before.UtcDateTime }, tx, commandTimeout: 600, cancellationToken: ct));
        var keys = await c.ExecuteAsync(new CommandDefinition("DELETE FROM economy_idempotency WHERE created_at < @before",
            new { before = before.UtcDateTime }, tx, commandTimeout: 600, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return new PruneResponse(rows, keys, throughId, before);
    }
}
