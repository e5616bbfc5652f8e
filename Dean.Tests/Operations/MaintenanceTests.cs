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
        var client = await fx.ClientAsync("orchestrator", "operator");
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

        // VACUUM (ANALYZE) leaves its mark on every DEAN table's statistics.
        await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Database = "agent_evolution" }.ConnectionString);
        await using var command = db.CreateCommand(
            "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = 'public' AND (last_vacuum IS NULL OR last_analyze IS NULL)");
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
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
