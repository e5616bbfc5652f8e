using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Dean.Tests.Infrastructure;
using Npgsql;

namespace Dean.Tests.Economy;

/// <summary>HTTP helpers and database-level invariant checks shared by the economy's integration tests.</summary>
public sealed class EconomyKit(DeanAppFixture fx)
{
    public static string NewId(string prefix = "agent") => $"{prefix}-{Guid.NewGuid():N}";

    public Task<HttpClient> OperatorAsync() => fx.ClientAsync("economy", "operator");
    public Task<HttpClient> AdminAsync() => fx.ClientAsync("economy", "admin");
    public Task<HttpClient> ViewerAsync() => fx.ClientAsync("economy", "viewer");

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Database = "agent_evolution" };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Status and exact body, minus ProblemDetails' per-request <c>trace_id</c> (a replay is a new request).</summary>
    public static async Task<(HttpStatusCode Status, string Body)> PostRawAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, System.Text.RegularExpressions.Regex.Replace(text, "\"trace_id\":\"[^\"]*\"", "\"trace_id\":\"\""));
    }

    /// <summary>Makes room in the global budget so allocations of <paramref name="headroom"/> succeed at normal priority.</summary>
    public async Task EnsureHeadroomAsync(long headroom = 100_000_000)
    {
        var admin = await AdminAsync();
        var budget = await admin.GetFromJsonAsync<JsonElement>("/api/v1/economy/budget");
        var allocated = budget.GetProperty("allocated").GetInt64();
        // available = budget - allocated - 10% reserve
        var target = (long)Math.Ceiling((allocated + headroom) / 0.9) + 10;
        if (budget.GetProperty("available").GetInt64() >= headroom) return;
        using var put = await admin.PutAsJsonAsync("/api/v1/economy/budget", new { new_budget = target, reset_allocations = false });
        put.EnsureSuccessStatusCode();
    }

    public async Task<JsonElement> AllocateAsync(string agentId, long tokens, string priority = "normal", string? from = null)
    {
        var (status, body) = await PostAsync(await OperatorAsync(), "/api/v1/economy/allocate",
            new { agent_id = agentId, requested_tokens = tokens, priority, from });
        Assert.True(status == HttpStatusCode.OK, $"allocate answered {status}: {body}");
        return body;
    }

    public async Task<JsonElement> AgentAsync(string agentId) =>
        await (await ViewerAsync()).GetFromJsonAsync<JsonElement>($"/api/v1/economy/agents/{Uri.EscapeDataString(agentId)}");

    /// <summary>Everything a refused request must leave untouched.</summary>
    public async Task<string> StateFingerprintAsync()
    {
        await using var c = await OpenAsync();
        var ledger = await c.QuerySingleAsync<(long Count, long MaxId)>("SELECT count(*), COALESCE(max(id), 0) FROM economy_ledger");
        var accounts = await c.QuerySingleAsync<string>(
            "SELECT COALESCE(string_agg(account_id || ':' || allocated || '/' || consumed || '/' || reserved || '/' || suballocated, ',' ORDER BY account_id), '') FROM economy_accounts");
        var settings = await c.QuerySingleAsync<string>("SELECT global_budget || '/' || allocated FROM economy_settings");
        var reservations = await c.QuerySingleAsync<string>(
            "SELECT count(*) || '/' || count(*) FILTER (WHERE status = 'active') FROM economy_reservations");
        return $"{ledger.Count}/{ledger.MaxId} | {settings} | {reservations} | {accounts}";
    }

    /// <summary>
    /// The invariants of DESIGN 8, checked on the database itself: no account overspent, Σ allocated ≤ budget, pools
    /// account for their children, reservations add up, and every account's ledger chains (each row's balance_after is
    /// the next row's balance_before, the last one is the current balance).
    /// </summary>
    public async Task AssertInvariantsAsync()
    {
        await using var c = await OpenAsync();
        var overspent = await c.QueryAsync<string>(
            "SELECT account_id FROM economy_accounts WHERE consumed + reserved + suballocated > allocated OR consumed < 0 OR reserved < 0 OR suballocated < 0");
        Assert.Empty(overspent);

        var (budget, allocated, sumGlobal) = await c.QuerySingleAsync<(long, long, long)>(
            "SELECT global_budget, allocated, (SELECT COALESCE(sum(CASE WHEN source = 'global' THEN allocated ELSE global_lot END), 0)::bigint FROM economy_accounts) FROM economy_settings");
        Assert.Equal(allocated, sumGlobal);
        Assert.True(allocated <= budget, $"allocated {allocated} > budget {budget}");

        var pools = await c.QueryAsync<(string Pool, long Sub, long Children)>("""
            SELECT p.account_id, p.suballocated, COALESCE((SELECT sum(allocated - global_lot) FROM economy_accounts ch WHERE ch.source = p.account_id), 0)::bigint
              FROM economy_accounts p
            """);
        foreach (var p in pools) Assert.True(p.Sub == p.Children, $"{p.Pool}: suballocated {p.Sub} but children hold {p.Children}");

        var reservations = await c.QueryAsync<(string Account, long Reserved, long Active, long Consumed, long Charged)>("""
            SELECT a.account_id, a.reserved,
                   COALESCE((SELECT sum(tokens) FROM economy_reservations r WHERE r.account_id = a.account_id AND r.status = 'active'), 0)::bigint,
                   a.consumed,
                   COALESCE((SELECT sum(charged) FROM economy_reservations r WHERE r.account_id = a.account_id AND r.status = 'settled'), 0)::bigint
              FROM economy_accounts a
            """);
        foreach (var r in reservations)
        {
            Assert.True(r.Reserved == r.Active, $"{r.Account}: reserved {r.Reserved} but active reservations hold {r.Active}");
            Assert.True(r.Consumed == r.Charged, $"{r.Account}: consumed {r.Consumed} but settlements charged {r.Charged}");
        }

        var breaks = await c.QueryAsync<(string Account, long Id)>("""
            SELECT account_id, id FROM (
                SELECT account_id, id, balance_before, lag(balance_after) OVER (PARTITION BY account_id ORDER BY id) AS previous
                  FROM economy_ledger) l
             WHERE previous IS NOT NULL AND previous <> balance_before
            """);
        Assert.True(!breaks.Any(), "ledger chain broken at " + string.Join(", ", breaks.Select(b => $"{b.Account}#{b.Id}")));

        var lastBalances = await c.QueryAsync<(string Account, long Last, long Current)>("""
            SELECT l.account_id, l.balance_after,
                   CASE WHEN l.account_id = 'global' THEN (SELECT global_budget - allocated FROM economy_settings)
                        ELSE (SELECT allocated - consumed - reserved - suballocated FROM economy_accounts a WHERE a.account_id = l.account_id) END
              FROM economy_ledger l
             WHERE l.id IN (SELECT max(id) FROM economy_ledger GROUP BY account_id)
            """);
        foreach (var b in lastBalances) Assert.True(b.Last == b.Current, $"{b.Account}: ledger ends at {b.Last}, balance is {b.Current}");
    }
}
