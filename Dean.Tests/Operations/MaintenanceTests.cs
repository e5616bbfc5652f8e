using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dean.Tests.Infrastructure;
using Npgsql;

namespace Dean.Tests.Operations;

[Collection(DeanAppCollection.Name)]
public sealed class MaintenanceTests(DeanAppFixture fx)
{
    [Fact]
    public async Task The_maintenance_jobs_are_scheduled_with_the_runbooks_windows()
    {
        var client = await fx.ClientAsync("orchestrator", "operator");
        var dags = (await client.GetFromJsonAsync<JsonElement>("/api/v1/dags")).GetProperty("dags").EnumerateArray()
            .Select(d => d.GetProperty("dag_id").GetString()).ToList();
        foreach (var id in new[] { "dean_backup", "dean_weekly_maintenance", "dean_pattern_archive" }) Assert.Contains(id, dags);

        await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Database = "agent_evolution" }.ConnectionString);
        await using var command = db.CreateCommand("SELECT key, value FROM hangfire.hash WHERE field = 'Cron' AND key IN ('recurring-job:dean_backup', 'recurring-job:dean_weekly_maintenance')");
        var crons = new Dictionary<string, string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) crons[reader.GetString(0)] = reader.GetString(1);
        Assert.Equal("0 2 * * *", crons["recurring-job:dean_backup"]);
        Assert.Equal("0 2 * * 0", crons["recurring-job:dean_weekly_maintenance"]);
    }

    [Fact]
    public async Task Weekly_maintenance_vacuums_and_reindexes_deans_tables()
    {
        await RunWeeklyMaintenanceAsync();

        // VACUUM (ANALYZE) leaves its mark on every DEAN table's statistics.
        await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Database = "agent_evolution" }.ConnectionString);
        await using var command = db.CreateCommand(
            "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = 'public' AND (last_vacuum IS NULL OR last_analyze IS NULL)");
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Weekly_maintenance_exports_the_ledger_past_retention_then_prunes_exactly_those_rows()
    {
        var economy = await fx.ClientAsync("economy", "operator");
        var (old, recent) = ($"ledger-old-{Guid.NewGuid():N}", $"ledger-recent-{Guid.NewGuid():N}");
        var oldKey = $"ledger-old-key-{Guid.NewGuid():N}";
        foreach (var (account, key) in new[] { (old, oldKey), (recent, $"ledger-recent-key-{Guid.NewGuid():N}") })
            (await economy.PostAsJsonAsync("/api/v1/economy/allocate", new { agent_id = account, requested_tokens = 700, priority = "normal", idempotency_key = key })).EnsureSuccessStatusCode();
        await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Database = "agent_evolution" }.ConnectionString);
        // The old account's history is 200 days old: past the 90-day retention.
        var backdated = await Ids(db, "UPDATE economy_ledger SET created_at = now() - interval '200 days' WHERE account_id = $1 RETURNING id", old);
        Assert.NotEmpty(backdated);
        await using (var key = db.CreateCommand("UPDATE economy_idempotency SET created_at = now() - interval '200 days' WHERE key = $1"))
        {
            key.Parameters.AddWithValue(oldKey);
            Assert.Equal(1, await key.ExecuteNonQueryAsync());
        }
        var kept = await Ids(db, "SELECT id FROM economy_ledger WHERE created_at > now() - interval '1 day'", null);
        var balances = await Balances(db);
        var exports = Path.Combine(fx.DataDirectory, "ledger-exports");
        Directory.CreateDirectory(exports);
        var expired = Path.Combine(exports, "ledger_1_2_20240101.ndjson.gz");
        await File.WriteAllBytesAsync(expired, []);
        File.SetLastWriteTimeUtc(expired, DateTime.UtcNow.AddDays(-400));

        await RunWeeklyMaintenanceAsync();

        var file = Assert.Single(Directory.GetFiles(exports, $"ledger_{backdated.Min()}_{backdated.Max()}_*.ndjson.gz"));
        var exported = new List<JsonElement>();
        using (var reader = new StreamReader(new System.IO.Compression.GZipStream(File.OpenRead(file), System.IO.Compression.CompressionMode.Decompress)))
            while (await reader.ReadLineAsync() is { } line) exported.Add(JsonDocument.Parse(line).RootElement.Clone());
        Assert.Equal(backdated.Order(), exported.Select(r => r.GetProperty("id").GetInt64()));
        Assert.All(exported, r => Assert.Equal(old, r.GetProperty("agent_id").GetString()));
        Assert.Contains(exported, r => r.GetProperty("type").GetString() == "allocation" && r.GetProperty("amount").GetInt64() == 700);

        Assert.Empty(await Ids(db, "SELECT id FROM economy_ledger WHERE account_id = $1", old));
        Assert.Equal(kept.Count, (await Ids(db, "SELECT id FROM economy_ledger WHERE id = ANY($1)", kept.ToArray())).Count);
        Assert.Equal(balances, await Balances(db));
        await using (var key = db.CreateCommand("SELECT count(*) FROM economy_idempotency WHERE key = $1"))
        {
            key.Parameters.AddWithValue(oldKey);
            Assert.Equal(0L, (long)(await key.ExecuteScalarAsync())!);
        }
        Assert.False(File.Exists(expired));
    }

    [Fact]
    public async Task Pruning_the_ledger_refuses_recent_history_and_needs_an_admin()
    {
        await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Database = "agent_evolution" }.ConnectionString);
        var rows = (await Ids(db, "SELECT id FROM economy_ledger", null)).Count;
        var body = new { through_id = long.MaxValue, before = DateTimeOffset.UtcNow.AddDays(-1) };
        var refused = await (await fx.ClientAsync("economy", "admin")).PostAsJsonAsync("/api/v1/economy/ledger/prune", body);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("before", out _));
        Assert.Equal(HttpStatusCode.BadRequest, (await (await fx.ClientAsync("economy", "operator")).GetAsync("/api/v1/economy/ledger/export?limit=5")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await (await fx.ClientAsync("economy", "viewer")).PostAsJsonAsync("/api/v1/economy/ledger/prune", body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await (await fx.ClientAsync("economy", "operator")).PostAsJsonAsync("/api/v1/economy/ledger/prune", body)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.Client("economy").PostAsJsonAsync("/api/v1/economy/ledger/prune", body)).StatusCode);
        Assert.Equal(rows, (await Ids(db, "SELECT id FROM economy_ledger", null)).Count);
    }

    private async Task RunWeeklyMaintenanceAsync()
    {
        // An admin's DAG: it rewrites every table and prunes the ledger.
        var client = await fx.ClientAsync("orchestrator", "admin");
        var triggered = await client.PostAsync("/api/v1/dags/dean_weekly_maintenance/dagRuns", null);
        Assert.Equal(HttpStatusCode.OK, triggered.StatusCode);
        var runId = (await triggered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("dag_run_id").GetString();
        string? state = null;
        await EmergencyTests.WaitForAsync(async () =>
        {
            var runs = await client.GetFromJsonAsync<JsonElement>("/api/v1/dags/dean_weekly_maintenance/dagRuns");
            var run = runs.GetProperty("dag_runs").EnumerateArray().FirstOrDefault(r => r.GetProperty("dag_run_id").GetString() == runId);
            state = run.ValueKind == JsonValueKind.Object ? run.GetProperty("state").GetString() : null;
            return state is "success" or "failed";
        }, "dean_weekly_maintenance run", 120);
        Assert.Equal("success", state);
    }

    private static async Task<List<long>> Ids(NpgsqlDataSource db, string sql, object? parameter)
    {
        await using var command = db.CreateCommand(sql);
        if (parameter is not null) command.Parameters.AddWithValue(parameter);
        var ids = new List<long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetInt64(0));
        return ids;
    }

    private static async Task<string> Balances(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand(
            "SELECT string_agg(account_id || ':' || allocated || '/' || consumed || '/' || reserved || '/' || suballocated, ',' ORDER BY account_id) FROM economy_accounts");
        return (string)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task The_scheduled_backup_makes_a_backup_and_removes_those_past_retention()
    {
        var client = await fx.ClientAsync("orchestrator", "admin");
        await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Database = "agent_evolution" }.ConnectionString);
        var old = Path.Combine(fx.DataDirectory, "backups", "dean_20000101_000000.tar.gz");
        Directory.CreateDirectory(Path.GetDirectoryName(old)!);
        await File.WriteAllTextAsync(old, "an expired archive");
        await using (var insert = db.CreateCommand(
            "INSERT INTO backups (id, status, path, created_by, created_at) VALUES ('dean_20000101_000000', 'completed', $1, 'test', now() - interval '40 days')"))
        {
            insert.Parameters.AddWithValue(old);
            await insert.ExecuteNonQueryAsync();
        }
        var before = (await client.GetFromJsonAsync<JsonElement>("/api/v1/backups")).GetProperty("backups").GetArrayLength();

        var triggered = await client.PostAsync("/api/v1/dags/dean_backup/dagRuns", null);
        Assert.Equal(HttpStatusCode.OK, triggered.StatusCode);
        var runId = (await triggered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("dag_run_id").GetString();
        string? state = null;
        await EmergencyTests.WaitForAsync(async () =>
        {
            var runs = await client.GetFromJsonAsync<JsonElement>("/api/v1/dags/dean_backup/dagRuns");
            var run = runs.GetProperty("dag_runs").EnumerateArray().FirstOrDefault(r => r.GetProperty("dag_run_id").GetString() == runId);
            state = run.ValueKind == JsonValueKind.Object ? run.GetProperty("state").GetString() : null;
            return state is "success" or "failed";
        }, "dean_backup run", 180);
        Assert.Equal("success", state);

        var backups = (await client.GetFromJsonAsync<JsonElement>("/api/v1/backups")).GetProperty("backups").EnumerateArray().ToList();
        Assert.DoesNotContain(backups, b => b.GetProperty("backup_id").GetString() == "dean_20000101_000000");
        Assert.False(File.Exists(old));
        Assert.Equal(before, backups.Count); // one made, one removed
        Assert.Equal("completed", backups[0].GetProperty("status").GetString());
    }
}
