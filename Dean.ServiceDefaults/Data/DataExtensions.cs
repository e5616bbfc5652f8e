using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using StackExchange.Redis;

namespace Dean.ServiceDefaults.Data;

public static class DataExtensions
{
    /// <summary>Connection names every service receives from the AppHost, in both container and local modes.</summary>
    public const string DatabaseConnectionName = "agent_evolution";
    public const string RedisConnectionName = "redis";

    /// <summary>
    /// The <c>agent_evolution</c> data source, a <c>postgres</c> health component, and this service's schema
    /// migrations (SQL files embedded from <paramref name="migrationsAssembly"/>), applied before the service listens.
    /// </summary>
    public static IHostApplicationBuilder AddDeanDatabase(this IHostApplicationBuilder builder, Assembly migrationsAssembly)
    {
        builder.AddNpgsqlDataSource(DatabaseConnectionName, s => s.DisableHealthChecks = true);
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres");
        var identity = ServiceIdentity.ResolveName(builder);
        builder.Services.AddSingleton<SchemaMigrator>();
        builder.Services.AddHostedService(sp => new SchemaMigrationService(
            sp.GetRequiredService<SchemaMigrator>(), identity, Migration.FromAssembly(migrationsAssembly),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<SchemaMigrationService>>()));
        return builder;
    }

    /// <summary>The Redis multiplexer and a <c>redis</c> health component.</summary>
    public static IHostApplicationBuilder AddDeanRedis(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient(RedisConnectionName, s => s.DisableHealthChecks = true);
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");
        return builder;
    }

    private sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, ex.Message, ex);
            }
        }
    }

    private sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var latency = await redis.GetDatabase().PingAsync();
                return HealthCheckResult.Healthy($"ping {latency.TotalMilliseconds:F1} ms");
            }
            catch (Exception ex)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, ex.Message, ex);
            }
        }
    }
}
