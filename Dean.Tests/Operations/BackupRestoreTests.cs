using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dean.Tests.Infrastructure;
using Npgsql;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Dean.Tests.Operations;

/// <summary>Backup, verify and restore through the running system: the state after a restore is the state at backup time.</summary>
[Collection(DeanAppCollection.Name)]
public sealed class BackupRestoreTests(DeanAppFixture fx, ITestOutputHelper output)
{
    private static readonly string[] NotBackedUp = ["backups", "restores", "auth_signing_epochs"];

    [Fact]
    public async Task Restore_brings_back_rows_balances_redis_keys_and_agent_branches_of_the_backup()
    {
        var admin = await fx.ClientAsync("orchestrator", "admin");
        var indexAgent = await fx.ClientAsync("indexagent", "operator");
        var economy = await fx.ClientAsync("economy", "operator");
        // Something to back up: an agent (branch, worktree, Redis keys, ledger rows).
        var before = await SpawnAsync(indexAgent, "before the backup");
        var targetPath = await TargetPathAsync(indexAgent);

        var snapshot = await SnapshotAsync(targetPath);
        var backup = await BackupAsync(admin);
        Assert.Equal(snapshot.Tables, (await SnapshotAsync(targetPath)).Tables);
        Assert.Contains("database.dump", backup.GetProperty("contents").EnumerateArray().Select(c => c.GetString()));
        Assert.Contains("metadata.json", backup.GetProperty("contents").EnumerateArray().Select(c => c.GetString()));
        Assert.Contains(backup.GetProperty("contents").EnumerateArray(), c => c.GetString()!.StartsWith("git/", StringComparison.Ordinal));
        Assert.Matches(@"dean_\d{8}_\d{6}(_\d+)?\.tar\.gz$", backup.GetProperty("path").GetString());
        Assert.True(backup.GetProperty("size_bytes").GetInt64() > 0);

        // Change things: a new agent, ledger moves, an evolution step on the old agent, a stray Redis key.
        var after = await SpawnAsync(indexAgent, "after the backup");
        var moved = await economy.PostAsJsonAsync("/api/v1/economy/allocate", new { agent_id = before, requested_tokens = 500, priority = "normal", idempotency_key = $"b-{Guid.NewGuid():N}" });
        Assert.True(moved.IsSuccessStatusCode, await moved.Content.ReadAsStringAsync());
        (await indexAgent.PostAsJsonAsync($"/api/v1/agents/{before}/evolve", new { seed = 7 })).EnsureSuccessStatusCode();
        await using var redis = await RedisAsync();
        await redis.GetDatabase().StringSetAsync("dean:test:stray", "created after the backup");
        Assert.NotEqual(snapshot, await SnapshotAsync(targetPath));

        var restore = await admin.PostAsync($"/api/v1/backups/{backup.GetProperty("backup_id").GetString()}/restore", null);
        Assert.Equal(HttpStatusCode.Accepted, restore.StatusCode);
        var restoreId = (await restore.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("restore_id").GetString();
        JsonElement status = default;
        await EmergencyTests.WaitForAsync(async () =>
        {
            status = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/restores/{restoreId}");
            return status.GetProperty("status").GetString() != "running";
        }, "restore to finish", 180);
        output.WriteLine(status.ToString());
        Assert.Equal("completed", status.GetProperty("status").GetString());

        var restored = await SnapshotAsync(targetPath);
        Assert.Equal(snapshot.Tables.Keys.Order(), restored.Tables.Keys.Order());
        foreach (var (table, hash) in snapshot.Tables) Assert.True(hash == restored.Tables[table], $"table {table} differs from the backup");
        Assert.Equal(snapshot.Redis, restored.Redis);
        Assert.Equal(snapshot.Branches, restored.Branches);
        Assert.Equal(HttpStatusCode.NotFound, (await indexAgent.GetAsync($"/api/v1/agents/{after}")).StatusCode);
        Assert.DoesNotContain($"[dean/agent/{after}]", Git(targetPath, "worktree", "list"));
        // The surviving agent's worktree is back at its backed-up commit, clean.
        var agent = await indexAgent.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{before}");
        var worktree = agent.GetProperty("worktree_path").GetString()!;
        Assert.Equal(agent.GetProperty("head_commit").GetString(), Git(worktree, "rev-parse", "HEAD").Trim());
        Assert.Equal("", Git(worktree, "status", "--porcelain").Trim());

        // The system still works after the restore: the admin signs in, agents can be created.
        await fx.ForgetTokensAsync();
        await SpawnAsync(await fx.ClientAsync("indexagent", "operator"), "after the restore");
    }

    [Fact]
    public async Task Verify_accepts_a_good_archive_and_rejects_a_corrupted_one()
    {
        var admin = await fx.ClientAsync("orchestrator", "admin");
        var backup = await BackupAsync(admin);
        var id = backup.GetProperty("backup_id").GetString();
        var good = await (await admin.PostAsync($"/api/v1/backups/{id}/verify", null)).Content.ReadFromJsonAsync<JsonElement>();
        output.WriteLine(good.ToString());
        Assert.True(good.GetProperty("valid").GetBoolean(), good.ToString());

        var path = backup.GetProperty("path").GetString()!;
        var bytes = await File.ReadAllBytesAsync(path);
        for (var i = bytes.Length / 3; i < bytes.Length / 3 + 64; i++) bytes[i] ^= 0x5a;
        await File.WriteAllBytesAsync(path, bytes);
        var bad = await (await admin.PostAsync($"/api/v1/backups/{id}/verify", null)).Content.ReadFromJsonAsync<JsonElement>();
        output.WriteLine(bad.ToString());
        Assert.False(bad.GetProperty("valid").GetBoolean());
        Assert.False(string.IsNullOrEmpty(bad.GetProperty("error").GetString()));

        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/v1/backups");
        Assert.Contains(listed.GetProperty("backups").EnumerateArray(), b => b.GetProperty("backup_id").GetString() == id);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/backups/dean_19700101_000000")).StatusCode);
        var operatorClient = await fx.ClientAsync("orchestrator", "operator");
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.PostAsync("/api/v1/backups", null)).StatusCode);
        // Backups hold every secret of the installation: an operator reads none of them, nor runs the DAG that makes one.
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.GetAsync("/api/v1/backups")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.GetAsync($"/api/v1/backups/{id}")).StatusCode);
        var backupDag = await operatorClient.PostAsync("/api/v1/dags/dean_backup/dagRuns", null);
        Assert.Equal(HttpStatusCode.Forbidden, backupDag.StatusCode);
        Assert.Equal("forbidden", (await backupDag.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.PostAsync("/api/v1/dags/dean_weekly_maintenance/dagRuns", null)).StatusCode);
        var metrics = await fx.Client("orchestrator").GetStringAsync("/metrics");
        Assert.Matches(@"dean_last_backup_timestamp_seconds(\{[^}]*\})? [1-9]", metrics);
    }

    private sealed record Snapshot(SortedDictionary<string, string> Tables, SortedDictionary<string, string> Redis, string Branches)
    {
        public bool Equals(Snapshot? other) => other is not null && Tables.SequenceEqual(other.Tables) && Redis.SequenceEqual(other.Redis) && Branches == other.Branches;

        public override int GetHashCode() => Branches.GetHashCode(StringComparison.Ordinal);
    }

    /// <summary>Every backed-up table's full content (hashed), every Redis key's value, the agent branch heads.</summary>
    /// <summary>A connection of the test's own, with time to spare on a loaded machine (the default 5 s has timed out here).</summary>
    private async Task<ConnectionMultiplexer> RedisAsync()
    {
        var options = ConfigurationOptions.Parse(await fx.ConnectionStringAsync("redis"));
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = options.AsyncTimeout = options.SyncTimeout = 30_000;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    private async Task<Snapshot> SnapshotAsync(string targetPath)
    {
        await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Database = "agent_evolution" }.ConnectionString);
        var tables = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await using (var list = db.CreateCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables[reader.GetString(0)] = "";
        foreach (var table in tables.Keys.ToList())
        {
            if (NotBackedUp.Contains(table)) { tables.Remove(table); continue; }
            await using var hash = db.CreateCommand($"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM public.\"{table}\" t");
            tables[table] = (string)(await hash.ExecuteScalarAsync())!;
        }
        await using var redis = await RedisAsync();
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var server in redis.GetServers())
            await foreach (var key in server.KeysAsync(pattern: "*"))
                values[key!] = await ValueAsync(redis.GetDatabase(), key);
        return new Snapshot(tables, values, Git(targetPath, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/dean/agent/"));
    }

    /// <summary>A key's type and content, order-free for sets and hashes (their encoding order may differ after RESTORE).</summary>
    private static async Task<string> ValueAsync(IDatabase db, RedisKey key) => await db.KeyTypeAsync(key) switch
    {
        RedisType.String => "string:" + await db.StringGetAsync(key),
        RedisType.Set => "set:" + string.Join(",", (await db.SetMembersAsync(key)).Select(m => m.ToString()).Order(StringComparer.Ordinal)),
        RedisType.Hash => "hash:" + string.Join(",", (await db.HashGetAllAsync(key)).Select(e => $"{e.Name}={e.Value}").Order(StringComparer.Ordinal)),
        RedisType.List => "list:" + string.Join(",", (await db.ListRangeAsync(key)).Select(m => m.ToString())),
        RedisType.SortedSet => "zset:" + string.Join(",", (await db.SortedSetRangeByRankWithScoresAsync(key)).Select(e => $"{e.Element}={e.Score}")),
        var other => $"{other}:" + Convert.ToBase64String((await db.KeyDumpAsync(key))!),
    };

    private static async Task<string> SpawnAsync(HttpClient indexAgent, string goal)
    {
        var response = await indexAgent.PostAsJsonAsync("/api/v1/agents", new { goal, target = "function-minimization", token_budget = 3_000 });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<string> TargetPathAsync(HttpClient indexAgent)
    {
        var target = await indexAgent.GetFromJsonAsync<JsonElement>("/api/v1/targets/function-minimization");
        return target.GetProperty("path").GetString()!;
    }

    private async Task<JsonElement> BackupAsync(HttpClient admin)
    {
        var start = await admin.PostAsync("/api/v1/backups", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var accepted = await start.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("running", accepted.GetProperty("status").GetString());
        var id = accepted.GetProperty("backup_id").GetString();
        JsonElement backup = default;
        await EmergencyTests.WaitForAsync(async () =>
        {
            backup = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/backups/{id}");
            return backup.GetProperty("status").GetString() != "running";
        }, "backup to finish", 180);
        output.WriteLine(backup.ToString());
        Assert.Equal("completed", backup.GetProperty("status").GetString());
        return backup;
    }

    private static string Git(string repo, params string[] args)
    {
        var info = new ProcessStartInfo("git") { RedirectStandardOutput = true };
        info.ArgumentList.Add("-C");
        info.ArgumentList.Add(repo);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text;
    }
}
