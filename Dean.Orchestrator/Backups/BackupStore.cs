using System.Text.Json;
using Dapper;
using Npgsql;

namespace Dean.Orchestrator.Backups;

public sealed record BackupRow(string BackupId, string Status, DateTime CreatedAt, DateTime? CompletedAt, long? SizeBytes, string Path, string? Sha256,
    IReadOnlyList<string> Contents, IReadOnlyDictionary<string, string> Checksums, IReadOnlyList<string> Log, string? Error, string CreatedBy);

public sealed record RestoreRow(string RestoreId, string BackupId, string Status, DateTime CreatedAt, DateTime? CompletedAt, IReadOnlyList<string> Log, string? Error);

/// <summary>Status rows of backups and restores, with their progress as log lines.</summary>
public sealed class BackupStore(NpgsqlDataSource db)
{
    // Materialised through setters: Dapper does not bind arrays to constructor parameters.
    private sealed record Raw
    {
        public string Id { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public DateTime? CompletedAt { get; init; }
        public long? SizeBytes { get; init; }
        public string Path { get; init; } = "";
        public string? Sha256 { get; init; }
        public string Contents { get; init; } = "[]";
        public string Checksums { get; init; } = "{}";
        public string[] Log { get; init; } = [];
        public string? Error { get; init; }
        public string CreatedBy { get; init; } = "";
    }

    private sealed record RawRestore
    {
        public string Id { get; init; } = "";
        public string BackupId { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public DateTime? CompletedAt { get; init; }
        public string[] Log { get; init; } = [];
        public string? Error { get; init; }
    }

    private const string Columns = """
        id, status, created_at AS createdat, completed_at AS completedat, size_bytes AS sizebytes, path, sha256,
        contents::text AS contents, checksums::text AS checksums, log, error, created_by AS createdby
        """;

    /// <summary>Creates the row under the archive's name; a second backup in the same second gets a suffix.</summary>
    public async Task<BackupRow> CreateAsync(string baseId, Func<string, string> pathOf, string by, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        for (var n = 1; ; n++)
        {
            var id = n == 1 ? baseId : $"{baseId}_{n}";
            var raw = await connection.QuerySingleOrDefaultAsync<Raw>(
                $"INSERT INTO backups (id, status, path, created_by) VALUES (@id, 'running', @path, @by) ON CONFLICT DO NOTHING RETURNING {Columns}",
                new { id, path = pathOf(id), by });
            if (raw is not null) return Map(raw);
        }
    }

    public async Task<BackupRow?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var raw = await connection.QuerySingleOrDefaultAsync<Raw>($"SELECT {Columns} FROM backups WHERE id = @id", new { id });
        return raw is null ? null : Map(raw);
    }

    public async Task<IReadOnlyList<BackupRow>> ListAsync(int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Raw>($"SELECT {Columns} FROM backups ORDER BY created_at DESC LIMIT @limit", new { limit })).Select(Map).ToList();
    }

    public async Task LogAsync(string table, string id, string line)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync($"UPDATE {table} SET log = log || @line WHERE id = @id",
            new { id, line = $"{DateTime.UtcNow:HH:mm:ss} {line}" });
    }

    public async Task CompleteBackupAsync(string id, long size, string sha256, IReadOnlyList<string> contents, IReadOnlyDictionary<string, string> checksums)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            UPDATE backups SET status = 'completed', completed_at = now(), size_bytes = @size, sha256 = @sha256,
                contents = @contents::jsonb, checksums = @checksums::jsonb WHERE id = @id
            """, new { id, size, sha256, contents = JsonSerializer.Serialize(contents), checksums = JsonSerializer.Serialize(checksums) });
    }

    public async Task FailAsync(string table, string id, string error)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync($"UPDATE {table} SET status = 'failed', completed_at = now(), error = @error WHERE id = @id", new { id, error });
    }

    /// <summary>Completed backups older than the cut-off, for retention.</summary>
    public async Task<IReadOnlyList<(string Id, string Path)>> OlderThanAsync(DateTime cutoff, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(string, string)>("SELECT id, path FROM backups WHERE created_at < @cutoff AND status <> 'running'", new { cutoff })).AsList();
    }

    public async Task DeleteAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("DELETE FROM backups WHERE id = @id", new { id });
    }

    public async Task<RestoreRow> CreateRestoreAsync(string backupId, string by, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var id = $"restore_{DateTime.UtcNow:yyyyMMdd_HHmmss}_{Guid.NewGuid().ToString("N")[..6]}";
        await connection.ExecuteAsync("INSERT INTO restores (id, backup_id, status, created_by) VALUES (@id, @backupId, 'running', @by)", new { id, backupId, by });
        return (await GetRestoreAsync(id, ct))!;
    }

    public async Task<RestoreRow?> GetRestoreAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var x = await connection.QuerySingleOrDefaultAsync<RawRestore>(
            "SELECT id, backup_id AS backupid, status, created_at AS createdat, completed_at AS completedat, log, error FROM restores WHERE id = @id", new { id });
        return x is null ? null : new RestoreRow(x.Id, x.BackupId, x.Status, x.CreatedAt, x.CompletedAt, x.Log, x.Error);
    }

    public async Task CompleteRestoreAsync(string id)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE restores SET status = 'completed', completed_at = now() WHERE id = @id", new { id });
    }

    private static BackupRow Map(Raw r) => new(r.Id, r.Status, r.CreatedAt, r.CompletedAt, r.SizeBytes, r.Path, r.Sha256,
        JsonSerializer.Deserialize<List<string>>(r.Contents) ?? [], JsonSerializer.Deserialize<Dictionary<string, string>>(r.Checksums) ?? [],
        r.Log, r.Error, r.CreatedBy);
}
