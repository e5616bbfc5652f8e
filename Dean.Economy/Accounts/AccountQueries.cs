using Dapper;
using Npgsql;

namespace Dean.Economy.Accounts;

/// <summary>Read-only views of accounts and the ledger.</summary>
public sealed class AccountQueries(NpgsqlDataSource db, TimeProvider time)
{
    public async Task<AccountResponse?> AgentAsync(string id, CancellationToken ct)
    {
        var a = await AccountStore.FindAsync(db, id, ct);
        return a is null ? null : new AccountResponse(a.AccountId, a.Allocated, a.Consumed, a.Reserved, a.Unused, a.Efficiency,
            StatusOf(a, time.GetUtcNow().UtcDateTime), a.Source, a.Suballocated, a.ValueGenerated, Utc(a.LastActivityAt), Lots(a));
    }

    private static Dictionary<string, long> Lots(AccountState a) =>
        a.GlobalLot == 0 ? new() { [a.Source] = a.Allocated } : new() { [a.Source] = a.SourceLot, [AccountBook.Global] = a.GlobalLot };

    /// <summary>returned (its unused allocation went back), exhausted (nothing left), idle (no activity for an hour), or active.</summary>
    public static string StatusOf(AccountState a, DateTime now) =>
        a.ReturnedAt is not null ? "returned"
        : a.Unused <= 0 && a.Reserved == 0 ? "exhausted"
        : now - a.LastActivityAt > TimeSpan.FromHours(1) ? "idle"
        : "active";

    public async Task<TransactionsResponse> TransactionsAsync(string? agentId, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<(long Id, string Account, string Type, long Amount, long Before, long After, string? Reference, string? Key, DateTime CreatedAt)>(
            new CommandDefinition("""
                SELECT id, account_id, type, amount, balance_before, balance_after, reference, idempotency_key, created_at
                  FROM economy_ledger WHERE @agentId::text IS NULL OR account_id = @agentId
                 ORDER BY id DESC LIMIT @limit
                """, new { agentId, limit }, cancellationToken: ct));
        return new TransactionsResponse(rows.Select(r => new LedgerRow(r.Id, r.Account, r.Type, r.Amount, r.Before, r.After, r.Reference, r.Key, Utc(r.CreatedAt))).ToList());
    }

    /// <summary>Allocations and consumption (settlements) recorded in the ledger in the last <paramref name="hours"/> hours.</summary>
    public async Task<UsageResponse> UsageAsync(int hours, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        const string window = """
            WITH w AS (
                SELECT account_id, date_trunc('hour', created_at) AS hour,
                       CASE WHEN type = 'allocation' AND account_id <> 'global' THEN amount ELSE 0 END AS allocated,
                       CASE WHEN type = 'settlement' THEN amount ELSE 0 END AS consumed
                  FROM economy_ledger
                 WHERE created_at >= now() - make_interval(hours => @hours) AND type IN ('allocation', 'settlement'))
            """;
        var byAgent = (await c.QueryAsync<(string Agent, long Allocated, long Consumed)>(new CommandDefinition(window + """
            SELECT account_id, sum(allocated)::bigint, sum(consumed)::bigint FROM w WHERE account_id <> 'global'
             GROUP BY account_id ORDER BY sum(consumed) DESC, account_id
            """, new { hours }, cancellationToken: ct))).Select(r => new AgentUsage(r.Agent, r.Allocated, r.Consumed)).ToList();
        var byHour = (await c.QueryAsync<(DateTime Hour, long Allocated, long Consumed)>(new CommandDefinition(window + """
            SELECT hour, sum(allocated)::bigint, sum(consumed)::bigint FROM w GROUP BY hour ORDER BY hour
            """, new { hours }, cancellationToken: ct))).Select(r => new HourUsage(Utc(r.Hour), r.Allocated, r.Consumed)).ToList();
        return new UsageResponse(hours, byAgent.Sum(a => a.Allocated), byAgent.Sum(a => a.Consumed), byAgent, byHour);
    }

    /// <summary>The top and bottom fifth (at least one each) of agents that consumed something, by value per 1,000 tokens.</summary>
    public async Task<EfficiencyResponse> EfficiencyAsync(CancellationToken ct)
    {
        var measured = (await AccountStore.AllAsync(db, ct)).Where(a => !a.IsPool && a.Consumed > 0)
            .Select(a => new AgentEfficiency(a.AccountId, a.Efficiency, a.Consumed, a.ValueGenerated))
            .OrderByDescending(a => a.Efficiency).ThenBy(a => a.AgentId, StringComparer.Ordinal).ToList();
        var k = Math.Max(measured.Count == 0 ? 0 : 1, Governance.RebalancePolicy.FifthOf(measured.Count));
        return new EfficiencyResponse(measured.Count, measured.Take(k).ToList(),
            measured.Count < 2 ? [] : measured.TakeLast(k).Reverse().ToList());
    }

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}
