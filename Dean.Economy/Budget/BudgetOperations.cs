using Dapper;
using Dean.Economy.Accounts;
using Dean.Economy.Infrastructure;
using Npgsql;

namespace Dean.Economy.Budget;

public sealed class BudgetOperations(NpgsqlDataSource db, IdempotentTransactions transactions)
{
    public async Task<BudgetResponse> GetAsync(CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await ReadAsync(c, null);
    }

    /// <summary>
    /// Sets the global budget. With <paramref name="resetAllocations"/> every account first gives its unused allocation
    /// back (pools after their agents), so only what is consumed or reserved stays allocated.
    /// </summary>
    public Task<Outcome<BudgetResponse>> SetAsync(long newBudget, bool resetAllocations, string? key, CancellationToken ct) =>
        transactions.RunAsync<BudgetResponse>(key, "budget", async (c, tx) =>
        {
            var (_, book) = await AccountStore.LockAsync(c, tx, resetAllocations ? null : []);
            if (resetAllocations)
            {
                var accounts = book.Accounts.ToDictionary(a => a.AccountId);
                int Depth(AccountState a) => a.Source == AccountBook.Global || !accounts.TryGetValue(a.Source, out var p) ? 0 : 1 + Depth(p);
                foreach (var a in accounts.Values.OrderByDescending(Depth).ThenBy(a => a.AccountId, StringComparer.Ordinal).ToList())
                    book.ReturnToSource(a.AccountId, book.Unused(a.AccountId), "refund");
            }
            if (newBudget < book.GlobalAllocated)
            {
                return Outcome<BudgetResponse>.Refused(Refusal.Conflict("budget_below_allocated",
                    $"{book.GlobalAllocated} tokens are allocated; set a budget of at least that, or reset allocations"));
            }
            book.SetBudget(newBudget);
            await AccountStore.WriteAsync(c, tx, book, key);
            if (resetAllocations) await c.ExecuteAsync("UPDATE economy_settings SET last_reset = now() WHERE id = 1", transaction: tx);
            return Outcome<BudgetResponse>.Ok(await ReadAsync(c, tx));
        }, ct);

    private static async Task<BudgetResponse> ReadAsync(NpgsqlConnection c, NpgsqlTransaction? tx)
    {
        var row = await c.QuerySingleAsync<(long Budget, decimal Ratio, long Allocated, DateTime LastReset, long Consumed, long Reserved, long Agents, double Value)>("""
            SELECT s.global_budget, s.reserve_ratio, s.allocated, s.last_reset,
                   COALESCE(sum(a.consumed), 0)::bigint, COALESCE(sum(a.reserved), 0)::bigint,
                   count(a.account_id) FILTER (WHERE a.account_id NOT LIKE 'cycle:%'), COALESCE(sum(a.value_generated), 0)::float8
              FROM economy_settings s LEFT JOIN economy_accounts a ON true
             WHERE s.id = 1
             GROUP BY s.global_budget, s.reserve_ratio, s.allocated, s.last_reset
            """, transaction: tx);
        var settings = new SettingsRow(row.Budget, row.Ratio, row.Allocated, row.LastReset);
        return new BudgetResponse(row.Budget, row.Allocated, row.Consumed, row.Reserved, settings.Available, settings.Reserve,
            (int)row.Agents, row.Consumed == 0 ? 0 : row.Value * 1000 / row.Consumed, new DateTimeOffset(DateTime.SpecifyKind(row.LastReset, DateTimeKind.Utc)));
    }
}
