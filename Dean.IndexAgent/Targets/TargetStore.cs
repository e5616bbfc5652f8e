using System.Text.Json;
using Dapper;
using Npgsql;

namespace Dean.IndexAgent.Targets;

public sealed record Target(string Name, string Repository, string Path, TaskFile Task, string Head, bool IsDefault, DateTimeOffset CreatedAt);

public sealed class TargetStore(NpgsqlDataSource db)
{
    // A target never changes once registered, so a found one is kept (every step looks its target up).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Target> _cache = new();

    private static readonly JsonSerializerOptions TaskJson = new(JsonSerializerDefaults.Web);

    private sealed record Row(string name, string repository, string path, string task, string head, bool is_default, DateTime created_at)
    {
        public Target ToTarget() => new(name, repository, path, JsonSerializer.Deserialize<TaskFile>(task, TaskJson)!, head, is_default,
            new DateTimeOffset(DateTime.SpecifyKind(created_at, DateTimeKind.Utc)));
    }

    private const string Columns = "name, repository, path, task::text AS task, head, is_default, created_at";

    public async Task<IReadOnlyList<Target>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Row>($"SELECT {Columns} FROM targets ORDER BY created_at, name")).Select(r => r.ToTarget()).ToList();
    }

    public async Task<Target?> FindAsync(string name, CancellationToken ct)
    {
        if (_cache.TryGetValue(name, out var cached)) return cached;
        await using var connection = await db.OpenConnectionAsync(ct);
        var target = (await connection.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM targets WHERE name = @name", new { name }))?.ToTarget();
        if (target is not null) _cache[name] = target;
        return target;
    }

    public async Task<Target?> DefaultAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryFirstOrDefaultAsync<Row>($"SELECT {Columns} FROM targets ORDER BY is_default DESC, created_at LIMIT 1"))?.ToTarget();
    }

    /// <summary>False when the name is taken.</summary>
    public async Task<bool> InsertAsync(Target target, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync("""
            INSERT INTO targets (name, repository, path, task, head, is_default)
            VALUES (@Name, @Repository, @Path, @task::jsonb, @Head, @IsDefault)
            ON CONFLICT (name) DO NOTHING
            """, new { target.Name, target.Repository, target.Path, task = JsonSerializer.Serialize(target.Task, TaskJson), target.Head, target.IsDefault }) == 1;
    }
}
