using Dapper;
using Npgsql;

namespace Dean.Economy.Accounts;

public sealed record SettingsRow(long GlobalBudget, decimal ReserveRatio, long Allocated, DateTime LastReset)
{
    public long Reserve => AllocationPolicy.ReserveOf(GlobalBudget, ReserveRatio);
    public long Free => GlobalBudget - Allocated;
    public long Available => Math.Max(0, Free - Reserve);
}

/// <summary>
/// Loads an <see cref="AccountBook"/> under row locks and persists what it changed. Lock order is always the settings
/// row first, then accounts by id, so multi-account operations never deadlock each other; the reserve/settle hot path
/// only ever holds one account row.
/// </summary>
public static class AccountStore
{
    private const string AccountColumns = """
        account_id AS AccountId, source AS Source, allocated AS Allocated, consumed AS Consumed, reserved AS Reserved,
        suballocated AS Suballocated, value_generated AS ValueGenerated, last_activity_at AS LastActivityAt,
        decay_hours_applied AS DecayHoursApplied, returned_at AS ReturnedAt, global_lot AS GlobalLot
        """;

    public static Task<SettingsRow> LockSettingsAsync(NpgsqlConnection c, NpgsqlTransaction tx) =>
        c.QuerySingleAsync<SettingsRow>(
            "SELECT global_budget AS GlobalBudget, reserve_ratio AS ReserveRatio, allocated AS Allocated, last_reset AS LastReset FROM economy_settings WHERE id = 1 FOR UPDATE",
            transaction: tx);

    /// <summary>Settings plus the named accounts (or all accounts when <paramref name="ids"/> is null), locked.</summary>
    public static async Task<(SettingsRow Settings, AccountBook Book)> LockAsync(NpgsqlConnection c, NpgsqlTransaction tx, IEnumerable<string>? ids)
    {
        var settings = await LockSettingsAsync(c, tx);
        var rows = ids is null
            ? await c.QueryAsync<AccountState>($"SELECT {AccountColumns} FROM economy_accounts ORDER BY account_id FOR UPDATE", transaction: tx)
            : await c.QueryAsync<AccountState>($"SELECT {AccountColumns} FROM economy_accounts WHERE account_id = ANY(@ids) ORDER BY account_id FOR UPDATE",
                new { ids = ids.Distinct().Order(StringComparer.Ordinal).ToArray() }, tx);
        return (settings, new AccountBook(settings.GlobalBudget, settings.Allocated, rows));
    }

    /// <summary>
    /// Settings, an account, the account's source and <paramref name="from"/>, locked. The source is read before the
    /// lock and may change until the settings row is held (a re-home): then the locks are taken again with the new one.
    /// Re-locking rows this transaction holds is free, and the settings row, always first, keeps the order deadlock-free.
    /// </summary>
    public static async Task<(SettingsRow Settings, AccountBook Book)> LockWithSourceAsync(NpgsqlConnection c, NpgsqlTransaction tx, string id, string? from)
    {
        var source = await c.ExecuteScalarAsync<string?>("SELECT source FROM economy_accounts WHERE account_id = @id", new { id }, tx);
        while (true)
        {
            var ids = new[] { id, from, source }.Where(x => x is not null && x != AccountBook.Global).Select(x => x!).ToArray();
            var (settings, book) = await LockAsync(c, tx, ids);
            var locked = book.Find(id)?.Source;
            if (locked == source || locked == AccountBook.Global) return (settings, book);
            source = locked;
        }
    }

    /// <summary>Writes the book's changes as deltas (the rows are locked) and its ledger rows; returns the ledger ids.</summary>
    public static async Task<long[]> WriteAsync(NpgsqlConnection c, NpgsqlTransaction tx, AccountBook book, string? idempotencyKey)
    {
        if (book.GlobalAllocatedDelta != 0 || book.GlobalBudgetDelta != 0)
        {
            await c.ExecuteAsync("UPDATE economy_settings SET allocated = allocated + @a, global_budget = global_budget + @b WHERE id = 1",
                new { a = book.GlobalAllocatedDelta, b = book.GlobalBudgetDelta }, tx);
        }
        foreach (var e in book.Changed)
        {
            var args = new
            {
                id = e.State.AccountId, source = e.State.Source, allocated = e.AllocatedDelta, suballocated = e.SuballocatedDelta, globalLot = e.GlobalLotDelta,
                touched = e.Touched, decayHours = e.DecayHours, returned = e.Returned,
            };
            // Existing rows change by deltas (they are locked); CHECK constraints see the final row either way.
            await c.ExecuteAsync(e.IsNew
                ? "INSERT INTO economy_accounts (account_id, source, allocated, suballocated, global_lot) VALUES (@id, @source, @allocated, @suballocated, @globalLot)"
                : """
                  UPDATE economy_accounts SET
                      source = @source,
                      allocated = allocated + @allocated,
                      suballocated = suballocated + @suballocated,
                      global_lot = global_lot + @globalLot,
                      last_activity_at = CASE WHEN @touched THEN now() ELSE last_activity_at END,
                      decay_hours_applied = CASE WHEN @touched THEN 0 ELSE COALESCE(@decayHours, decay_hours_applied) END,
                      returned_at = CASE WHEN @returned THEN now() WHEN @touched THEN NULL ELSE returned_at END
                  WHERE account_id = @id
                  """, args, tx);
        }
        if (book.Movements.Count == 0) return [];
        var m = book.Movements;
        var ids = await c.QueryAsync<long>("""
            INSERT INTO economy_ledger (account_id, type, amount, balance_before, balance_after, reference, idempotency_key)
            SELECT a, t, n, b, f, r, @key
              FROM unnest(@accounts, @types, @amounts, @befores, @afters, @references) WITH ORDINALITY AS m(a, t, n, b, f, r, o)
             ORDER BY o
            RETURNING id
            """,
            new
            {
                key = idempotencyKey,
                accounts = m.Select(x => x.AccountId).ToArray(), types = m.Select(x => x.Type).ToArray(),
                amounts = m.Select(x => x.Amount).ToArray(), befores = m.Select(x => x.BalanceBefore).ToArray(),
                afters = m.Select(x => x.BalanceAfter).ToArray(), references = m.Select(x => x.Reference).ToArray(),
            }, tx);
        return ids.Order().ToArray();
    }

    public static async Task<AccountState?> FindAsync(NpgsqlDataSource db, string id, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<AccountState>(new CommandDefinition(
            $"SELECT {AccountColumns} FROM economy_accounts WHERE account_id = @id", new { id }, cancellationToken: ct));
    }

    public static async Task<IReadOnlyList<AccountState>> AllAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return (await c.QueryAsync<AccountState>(new CommandDefinition($"SELECT {AccountColumns} FROM economy_accounts ORDER BY account_id", cancellationToken: ct))).ToList();
    }
}
