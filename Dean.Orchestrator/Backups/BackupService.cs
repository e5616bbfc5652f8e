using Dean.ServiceDefaults.Http;
using System.Text.Json;
using Dapper;
using Dean.Orchestrator.Auth;
using Dean.Orchestrator.Clients;
using Dean.Orchestrator.Evolution;
using Dean.ServiceDefaults;
using Dean.ServiceDefaults.Data;
using Hangfire;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Dean.Orchestrator.Backups;

public sealed class BackupOptions
{
    public const string Section = "Orchestrator:Backups";

    /// <summary>Where archives go; default <c>{Orchestrator:DataDirectory}/backups</c>.</summary>
    public string? Directory { get; set; }

    public int RetentionDays { get; set; } = 30;
}

public sealed record VerifyResult(string BackupId, bool Valid, IReadOnlyList<string> Checks, string? Error);

/// <summary>
/// Makes, verifies and restores DEAN backups. One archive holds the database dump (DEAN's tables, not Hangfire's), the
/// Redis keys (DUMP payloads with their TTLs), the pattern catalogue as JSON, every target's <c>dean/agent/*</c> branches
/// as a git bundle, the configuration (task files, constraints, budget, settings without secrets) and metadata.json.
/// </summary>
public sealed class BackupService(
    BackupStore store, BackupMetrics metrics, [FromKeyedServices(DatabaseOwnership.MaintenanceConnectionName)] NpgsqlDataSource db, IConnectionMultiplexer redis, IndexAgentClient indexAgent,
    EconomyClient economy, CycleStopper stopper, IBackgroundJobClient jobs, IHttpClientFactory http, IConfiguration configuration,
    ServiceIdentity self, IOptions<BackupOptions> options, IOptions<OrchestratorOptions> orchestrator, TimeProvider time, ILogger<BackupService> logger)
{
    private static readonly JsonSerializerOptions Json = Microsoft.Extensions.Hosting.Extensions.DeanJson;

    public string Folder => options.Value.Directory is { Length: > 0 } d ? d : Path.Combine(orchestrator.Value.DataDirectory, "backups");

    public async Task<BackupRow> StartBackupAsync(string by, CancellationToken ct)
    {
        Directory.CreateDirectory(Folder);
        var row = await store.CreateAsync(BackupArchive.Name(time.GetUtcNow()), id => Path.Combine(Folder, id + ".tar.gz"), by, ct);
        jobs.Enqueue<BackupService>(s => s.RunBackupAsync(row.BackupId, CancellationToken.None));
        return row;
    }

    /// <summary>The recurring <c>dean_backup</c> job: a backup, then retention.</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 3600)]
    public async Task ScheduledBackupAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Folder);
        var row = await store.CreateAsync(BackupArchive.Name(time.GetUtcNow()), id => Path.Combine(Folder, id + ".tar.gz"), "schedule:dean_backup", ct);
        await RunBackupAsync(row.BackupId, ct);
        await ApplyRetentionAsync(ct);
    }

    public async Task<int> ApplyRetentionAsync(CancellationToken ct)
    {
        var old = await store.OlderThanAsync(time.GetUtcNow().UtcDateTime.AddDays(-options.Value.RetentionDays), ct);
        foreach (var (id, path) in old)
        {
            File.Delete(path);
            await store.DeleteAsync(id, ct);
            logger.LogInformation("Backup {Id} removed by retention ({Days} days)", id, options.Value.RetentionDays);
        }
        return old.Count;
    }

    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 3600)] // one backup at a time (the lock is per method, not per id)
    [JobDisplayName("backup {0}")]
    public async Task RunBackupAsync(string id, CancellationToken ct)
    {
        var row = (await store.GetAsync(id, ct))!;
        var staging = Path.Combine(Folder, id + ".staging");
        try
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, true);
            Directory.CreateDirectory(staging);

            await store.LogAsync("backups", id, "dumping the agent_evolution database");
            await PgDumpAsync(Path.Combine(staging, BackupArchive.DatabaseDump), ct);
            var rowCounts = await RowCountsAsync(db, ct);

            await store.LogAsync("backups", id, "saving Redis keys");
            var redisKeys = await SaveRedisAsync(Path.Combine(staging, BackupArchive.RedisState));

            await store.LogAsync("backups", id, "exporting the pattern catalogue");
            await ExportPatternsAsync(Path.Combine(staging, BackupArchive.Patterns), ct);

            await store.LogAsync("backups", id, "bundling agent branches");
            var targets = await BundleTargetsAsync(staging, ct);
            await store.LogAsync("backups", id, $"{targets.Sum(t => t.Branches.Count)} agent branches of {targets.Count} targets bundled");

            await store.LogAsync("backups", id, "saving configuration");
            await SaveConfigurationAsync(staging, targets, ct);

            var checksums = BackupArchive.Checksums(staging);
            var metadata = new BackupMetadata(id, row.CreatedAt, self.Version, await ServiceVersionsAsync(ct), rowCounts, redisKeys, targets, checksums);
            await File.WriteAllTextAsync(Path.Combine(staging, BackupArchive.Metadata), JsonSerializer.Serialize(metadata, Json), ct);

            await store.LogAsync("backups", id, "writing the archive");
            BackupArchive.Pack(staging, row.Path);
            var contents = checksums.Keys.Append(BackupArchive.Metadata).ToList();
            await store.CompleteBackupAsync(id, new FileInfo(row.Path).Length, BackupArchive.Sha256(row.Path), contents, checksums);
            await store.LogAsync("backups", id, $"completed: {row.Path}");
            metrics.Completed(time.GetUtcNow());
            logger.LogInformation("Backup {Id} completed: {Path}", id, row.Path);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Backup {Id} failed", id);
            await store.LogAsync("backups", id, "failed: " + ex.Message);
            await store.FailAsync("backups", id, ex.Message);
            File.Delete(row.Path + ".partial");
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, true);
        }
    }

    /// <summary>Checks the archive's checksums, then restores its dump into a scratch database and compares row counts.</summary>
    public async Task<VerifyResult> VerifyAsync(BackupRow row, CancellationToken ct)
    {
        var checks = new List<string>();
        var folder = Path.Combine(Path.GetTempPath(), $"dean-verify-{Guid.NewGuid():N}");
        var scratch = $"dean_verify_{Guid.NewGuid():N}";
        var created = false;
        try
        {
            if (!File.Exists(row.Path)) return new VerifyResult(row.BackupId, false, checks, $"{row.Path} does not exist");
            if (row.Sha256 is { } expected && BackupArchive.Sha256(row.Path) != expected)
                return new VerifyResult(row.BackupId, false, checks, "the archive's SHA-256 differs from the one recorded when it was made");
            checks.Add("archive checksum");
            BackupArchive.Unpack(row.Path, folder);
            var metadata = BackupArchive.ReadMetadata(folder);
            var bad = BackupArchive.Mismatches(folder, metadata.Checksums);
            if (bad.Count > 0) return new VerifyResult(row.BackupId, false, checks, "checksum mismatch: " + string.Join(", ", bad));
            checks.Add($"{metadata.Checksums.Count} file checksums");

            await using (var admin = await AdminConnectionAsync(ct))
                await admin.ExecuteAsync($"CREATE DATABASE {scratch}");
            created = true;
            await ExternalTools.RunAsync(ExternalTools.Postgres("pg_restore"),
                [.. ConnectionArgs(scratch), "--no-owner", "--no-privileges", "--exit-on-error", Path.Combine(folder, BackupArchive.DatabaseDump)], null, PgEnv(), ct);
            await using var scratchDb = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(DatabaseConnectionString()) { Database = scratch }.ConnectionString);
            var counts = await RowCountsAsync(scratchDb, ct);
            var differing = metadata.RowCounts.Where(c => counts.GetValueOrDefault(c.Key, -1) != c.Value).Select(c => $"{c.Key} ({counts.GetValueOrDefault(c.Key, -1)} != {c.Value})").ToList();
            if (differing.Count > 0) return new VerifyResult(row.BackupId, false, checks, "restored row counts differ: " + string.Join(", ", differing));
            checks.Add($"dump restored into a scratch database, {counts.Count} tables with the recorded row counts");
            return new VerifyResult(row.BackupId, true, checks, null);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or JsonException or InvalidOperationException or FormatException)
        {
            return new VerifyResult(row.BackupId, false, checks, ex.Message);
        }
        finally
        {
            if (created)
            {
                await using var admin = await AdminConnectionAsync(CancellationToken.None);
                await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)");
            }
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }

    public async Task<RestoreRow> StartRestoreAsync(BackupRow backup, string by, CancellationToken ct)
    {
        var restore = await store.CreateRestoreAsync(backup.BackupId, by, ct);
        jobs.Enqueue<BackupService>(s => s.RunRestoreAsync(restore.RestoreId, CancellationToken.None));
        return restore;
    }

    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 3600)] // two restores at once would interleave their drops and loads
    [JobDisplayName("restore {0}")]
    public async Task RunRestoreAsync(string restoreId, CancellationToken ct)
    {
        var restore = (await store.GetRestoreAsync(restoreId, ct))!;
        var folder = Path.Combine(Path.GetTempPath(), $"dean-restore-{Guid.NewGuid():N}");
        try
        {
            var backup = await store.GetAsync(restore.BackupId, ct) ?? throw new InvalidOperationException($"backup {restore.BackupId} does not exist");
            await store.LogAsync("restores", restoreId, "stopping running cycles");
            await StopCyclesAsync(ct);

            await store.LogAsync("restores", restoreId, $"unpacking {backup.Path} and checking checksums");
            BackupArchive.Unpack(backup.Path, folder);
            var metadata = BackupArchive.ReadMetadata(folder);
            var bad = BackupArchive.Mismatches(folder, metadata.Checksums);
            if (bad.Count > 0) throw new InvalidDataException("checksum mismatch: " + string.Join(", ", bad));

            await store.LogAsync("restores", restoreId, "restoring the database (DEAN's tables dropped and recreated from the dump)");
            // One transaction: the database is either the backup's or untouched.
            await ExternalTools.RunAsync(ExternalTools.Postgres("pg_restore"),
                [.. ConnectionArgs(null), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                    Path.Combine(folder, BackupArchive.DatabaseDump)], null, PgEnv(), ct);
            // The restore made the tables as the maintenance role: each goes back to the service that owns it.
            await using (var connection = await db.OpenConnectionAsync(ct))
                await connection.ExecuteAsync(DatabaseOwnership.AssignOwnersSql());

            await store.LogAsync("restores", restoreId, "restoring Redis keys");
            var keys = await RestoreRedisAsync(Path.Combine(folder, BackupArchive.RedisState));
            await store.LogAsync("restores", restoreId, $"{keys} Redis keys restored");

            await store.LogAsync("restores", restoreId, "restoring agent branches and worktrees");
            foreach (var target in metadata.Targets)
                await RestoreTargetAsync(target, Path.Combine(folder, "git", target.Name + ".bundle"), ct);

            await store.CompleteRestoreAsync(restoreId);
            await store.LogAsync("restores", restoreId, "completed");
            logger.LogWarning("Restore {RestoreId} of backup {BackupId} completed", restoreId, backup.BackupId);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Restore {RestoreId} failed", restoreId);
            await store.LogAsync("restores", restoreId, "failed: " + ex.Message);
            await store.FailAsync("restores", restoreId, ex.Message);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }

    private async Task StopCyclesAsync(CancellationToken ct)
    {
        var live = await stopper.StopAllAsync(ct);
        var progress = await stopper.WaitAsync(live, CycleStopper.EndTimeout, ct);
        if (progress.StillEnding.Count > 0)
            throw new TimeoutException($"cycles {string.Join(", ", progress.StillEnding)} did not stop within {CycleStopper.EndTimeout.TotalSeconds:F0} s");
    }

    // ---- database -------------------------------------------------------------------------------------------------

    private string DatabaseConnectionString() =>
        configuration.GetConnectionString(DatabaseOwnership.MaintenanceConnectionName)
        ?? throw new InvalidOperationException($"no {DatabaseOwnership.MaintenanceConnectionName} connection string");

    private List<string> ConnectionArgs(string? database)
    {
        var cs = new NpgsqlConnectionStringBuilder(DatabaseConnectionString());
        return ["--host", cs.Host ?? "localhost", "--port", cs.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--username", cs.Username ?? "postgres", "--dbname", database ?? cs.Database ?? "agent_evolution"];
    }

    private Dictionary<string, string> PgEnv()
    {
        var password = new NpgsqlConnectionStringBuilder(DatabaseConnectionString()).Password;
        return password is null ? [] : new Dictionary<string, string> { ["PGPASSWORD"] = password };
    }

    private async Task<NpgsqlConnection> AdminConnectionAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(DatabaseConnectionString()) { Database = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    private async Task PgDumpAsync(string file, CancellationToken ct)
    {
        var args = ConnectionArgs(null);
        args.AddRange(["--format=custom", "--no-owner", "--no-privileges", "--exclude-schema=hangfire", "--file", file]);
        foreach (var table in BackupArchive.ExcludedTables) args.Add($"--exclude-table=public.{table}");
        await ExternalTools.RunAsync(ExternalTools.Postgres("pg_dump"), args, null, PgEnv(), ct);
    }

    /// <summary>Row counts of DEAN's tables (schema public, without the excluded ones).</summary>
    private static async Task<Dictionary<string, long>> RowCountsAsync(NpgsqlDataSource source, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        var tables = (await connection.QueryAsync<string>(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND NOT (tablename = ANY(@excluded)) ORDER BY tablename",
            new { excluded = BackupArchive.ExcludedTables })).AsList();
        var counts = new Dictionary<string, long>();
        foreach (var table in tables)
            counts[table] = await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM public.\"{table}\"");
        return counts;
    }

    private async Task ExportPatternsAsync(string file, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var exists = await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('public.patterns') IS NOT NULL");
        // The catalogue is in the dump too; this copy is for people and tools that read JSON.
        var json = exists ? await connection.ExecuteScalarAsync<string>("SELECT coalesce(json_agg(p ORDER BY p.id), '[]')::text FROM patterns p") : "[]";
        await File.WriteAllTextAsync(file, json, ct);
    }

    // ---- Redis ----------------------------------------------------------------------------------------------------

    private sealed record RedisEntry(string Key, string Dump, long? TtlMs);

    private async Task<int> SaveRedisAsync(string file)
    {
        var database = redis.GetDatabase();
        var entries = new List<RedisEntry>();
        foreach (var server in redis.GetServers().Where(s => !s.IsReplica))
            await foreach (var key in server.KeysAsync(database.Database, "*"))
            {
                var dump = await database.KeyDumpAsync(key);
                if (dump is null) continue;
                var ttl = await database.KeyTimeToLiveAsync(key);
                entries.Add(new RedisEntry(key!, Convert.ToBase64String(dump), ttl is { } t ? (long)t.TotalMilliseconds : null));
            }
        entries.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(entries, Json));
        return entries.Count;
    }

    /// <summary>Every key that is not in the backup goes; every key in it comes back with its value and TTL.</summary>
    private async Task<int> RestoreRedisAsync(string file)
    {
        var entries = JsonSerializer.Deserialize<List<RedisEntry>>(await File.ReadAllTextAsync(file), Json) ?? [];
        var database = redis.GetDatabase();
        foreach (var server in redis.GetServers().Where(s => !s.IsReplica))
            await foreach (var key in server.KeysAsync(database.Database, "*"))
                await database.KeyDeleteAsync(key);
        foreach (var e in entries)
        {
            await database.KeyDeleteAsync(e.Key);
            await database.KeyRestoreAsync(e.Key, Convert.FromBase64String(e.Dump), e.TtlMs is { } ms ? TimeSpan.FromMilliseconds(Math.Max(1, ms)) : null);
        }
        return entries.Count;
    }

    // ---- git ------------------------------------------------------------------------------------------------------

    private const string AgentRefs = "refs/heads/dean/agent/";

    private static async Task<Dictionary<string, string>> AgentBranchesAsync(string repository, CancellationToken ct)
    {
        var refs = await ExternalTools.RunAsync("git", ["-C", repository, "for-each-ref", "--format=%(refname) %(objectname)", AgentRefs], null, null, ct);
        return refs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
    }

    private async Task<List<TargetBackup>> BundleTargetsAsync(string staging, CancellationToken ct)
    {
        var listing = await indexAgent.ListTargetsAsync(ct);
        var result = new List<TargetBackup>();
        Directory.CreateDirectory(Path.Combine(staging, "git"));
        foreach (var (name, path) in listing.Targets.Select(t => (t.Name, t.Path)))
        {
            var branches = await AgentBranchesAsync(path, ct);
            if (branches.Count > 0)
                await ExternalTools.RunAsync("git", ["-C", path, "bundle", "create", Path.Combine(staging, "git", name + ".bundle"), .. branches.Keys], null, null, ct);
            result.Add(new TargetBackup(name, path, branches));
        }
        return result;
    }

    /// <summary>
    /// Branch heads become exactly the backup's (branches made since are deleted), and worktrees follow: one per agent
    /// that the restored database says is alive, checked out at its branch head; every other agent worktree goes.
    /// </summary>
    private async Task RestoreTargetAsync(TargetBackup target, string bundle, CancellationToken ct)
    {
        var repo = target.Path;
        if (File.Exists(bundle))
            await ExternalTools.RunAsync("git", ["-C", repo, "fetch", "--no-tags", "--force", bundle, "refs/heads/dean/agent/*:refs/dean-restore/*"], null, null, ct);

        var worktrees = await WorktreesAsync(repo, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        var alive = (await connection.QueryAsync<(string Branch, string WorktreePath)>("""
            SELECT branch, worktree_path FROM agents
            WHERE target = @target AND status NOT IN ('retired', 'terminated') AND coalesce(worktree_path, '') <> ''
            """, new { target = target.Name })).ToDictionary(a => "refs/heads/" + a.Branch, a => a.WorktreePath, StringComparer.Ordinal);

        foreach (var (path, branch) in worktrees.Where(w => w.Branch.StartsWith(AgentRefs, StringComparison.Ordinal)))
            if (!alive.TryGetValue(branch, out var wanted) || !target.Branches.ContainsKey(branch) || Path.GetFullPath(wanted) != Path.GetFullPath(path))
                await ExternalTools.RunAsync("git", ["-C", repo, "worktree", "remove", "--force", path], null, null, ct);
        await ExternalTools.RunAsync("git", ["-C", repo, "worktree", "prune"], null, null, ct);

        foreach (var current in (await AgentBranchesAsync(repo, ct)).Keys.Where(b => !target.Branches.ContainsKey(b)))
            await ExternalTools.RunAsync("git", ["-C", repo, "update-ref", "-d", current], null, null, ct);
        foreach (var (branch, sha) in target.Branches)
            await ExternalTools.RunAsync("git", ["-C", repo, "update-ref", branch, sha], null, null, ct);
        foreach (var r in (await ExternalTools.RunAsync("git", ["-C", repo, "for-each-ref", "--format=%(refname)", "refs/dean-restore/"], null, null, ct)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            await ExternalTools.RunAsync("git", ["-C", repo, "update-ref", "-d", r], null, null, ct);

        var present = (await WorktreesAsync(repo, ct)).ToDictionary(w => w.Branch, w => w.Path, StringComparer.Ordinal);
        foreach (var (branch, path) in alive.Where(a => target.Branches.ContainsKey(a.Key)))
        {
            if (present.ContainsKey(branch))
            {
                await ExternalTools.RunAsync("git", ["-C", path, "reset", "--hard", target.Branches[branch]], null, null, ct);
                await ExternalTools.RunAsync("git", ["-C", path, "clean", "-fdx"], null, null, ct);
            }
            else
            {
                if (Directory.Exists(path)) Directory.Delete(path, true);
                await ExternalTools.RunAsync("git", ["-C", repo, "worktree", "add", path, branch["refs/heads/".Length..]], null, null, ct);
            }
        }
    }

    private static async Task<List<(string Path, string Branch)>> WorktreesAsync(string repo, CancellationToken ct)
    {
        var output = (await ExternalTools.RunAsync("git", ["-C", repo, "worktree", "list", "--porcelain"], null, null, ct)).Stdout;
        var result = new List<(string, string)>();
        string? path = null;
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith("worktree ", StringComparison.Ordinal)) path = line["worktree ".Length..];
            else if (line.StartsWith("branch ", StringComparison.Ordinal) && path is not null) result.Add((path, line["branch ".Length..]));
        }
        return result;
    }

    // ---- configuration and metadata -------------------------------------------------------------------------------

    private async Task SaveConfigurationAsync(string staging, IReadOnlyList<TargetBackup> targets, CancellationToken ct)
    {
        var config = Path.Combine(staging, "config");
        Directory.CreateDirectory(Path.Combine(config, "targets"));
        foreach (var target in targets)
        {
            var task = Path.Combine(target.Path, "dean.json");
            if (File.Exists(task)) File.Copy(task, Path.Combine(config, "targets", target.Name + ".dean.json"));
        }
        await File.WriteAllTextAsync(Path.Combine(config, "constraints.json"), JsonSerializer.Serialize(await economy.GetConstraintsAsync(ct), Json), ct);
        await File.WriteAllTextAsync(Path.Combine(config, "budget.json"), JsonSerializer.Serialize(await economy.GetBudgetAsync(ct), Json), ct);
        // Settings of the orchestrator without anything secret-looking: keys, passwords, tokens, connection strings.
        var settings = configuration.AsEnumerable()
            .Where(kv => kv.Value is not null && (kv.Key.StartsWith("Orchestrator", StringComparison.Ordinal) || kv.Key.StartsWith("Monitoring", StringComparison.Ordinal)))
            .Where(kv => !new[] { "key", "password", "secret", "token", "connectionstring" }.Any(s => kv.Key.Contains(s, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value);
        await File.WriteAllTextAsync(Path.Combine(config, "settings.json"), JsonSerializer.Serialize(settings, Json), ct);
    }

    private async Task<Dictionary<string, string>> ServiceVersionsAsync(CancellationToken ct)
    {
        var versions = new Dictionary<string, string> { [self.Name] = self.Version };
        foreach (var service in new[] { "economy", "indexagent" })
        {
            try
            {
                var health = await http.CreateClient(ServiceClientExtensions.HealthClientName(service)).GetFromJsonAsync<JsonElement>("/health", ct);
                versions[service] = health.GetProperty("version").GetString() ?? "unknown";
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or KeyNotFoundException or TaskCanceledException)
            {
                versions[service] = "unreachable";
            }
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        versions["postgres"] = await connection.ExecuteScalarAsync<string>("SHOW server_version") ?? "unknown";
        return versions;
    }
}
