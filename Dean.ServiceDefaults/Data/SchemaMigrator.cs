using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Dean.ServiceDefaults.Data;

/// <summary>One forward-only SQL migration, embedded in its owning service as <c>Migrations/NNNN_name.sql</c>.</summary>
public sealed record Migration(string Version, string Sql)
{
    public string Checksum { get; } = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));

    public static IReadOnlyList<Migration> FromAssembly(Assembly assembly) =>
        assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("migrations/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return new Migration(Path.GetFileNameWithoutExtension(n["migrations/".Length..]), reader.ReadToEnd());
            })
            .ToList();
}

/// <summary>
/// Applies a service's migrations to <c>agent_evolution</c>: serialised across services by an advisory lock,
/// recorded in <c>schema_migrations</c> (service, version, checksum), so applying twice is a no-op and an edited
/// migration that was already applied is refused rather than silently diverging.
/// </summary>
public sealed class SchemaMigrator(NpgsqlDataSource dataSource, ILogger<SchemaMigrator> logger)
{
    private const long AdvisoryLockKey = 0x0DEA_0001;

    public async Task<int> ApplyAsync(string service, IReadOnlyList<Migration> migrations, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@key)", new { key = AdvisoryLockKey }, tx);
        await connection.ExecuteAsync(DatabaseOwnership.MigrationsTableSql, transaction: tx);
        var applied = (await connection.QueryAsync<(string Version, string Checksum)>(
                "SELECT version, checksum FROM schema_migrations WHERE service = @service", new { service }, tx))
            .ToDictionary(r => r.Version, r => r.Checksum);

        var count = 0;
        foreach (var migration in migrations)
        {
            if (applied.TryGetValue(migration.Version, out var checksum))
            {
                if (checksum != migration.Checksum)
                    throw new InvalidOperationException($"Migration {service}/{migration.Version} changed after it was applied.");
                continue;
            }
            logger.LogInformation("Applying migration {Service}/{Version}", service, migration.Version);
            await connection.ExecuteAsync(migration.Sql, transaction: tx);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (service, version, checksum) VALUES (@service, @version, @checksum)",
                new { service, version = migration.Version, checksum = migration.Checksum }, tx);
            count++;
        }
        await tx.CommitAsync(ct);
        return count;
    }
}

/// <summary>Runs the migrations at start-up; the web server starts listening (and reports healthy) only afterwards.</summary>
public sealed class SchemaMigrationService(SchemaMigrator migrator, string service, IReadOnlyList<Migration> migrations, ILogger<SchemaMigrationService> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var applied = await migrator.ApplyAsync(service, migrations, cancellationToken);
                logger.LogInformation("Schema of {Service} is current ({Applied} migrations applied now, {Total} known)", service, applied, migrations.Count);
                return;
            }
            catch (NpgsqlException ex) when (attempt < 10 && ex.IsTransient)
            {
                logger.LogWarning(ex, "Database not ready for migrations (attempt {Attempt}); retrying", attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
