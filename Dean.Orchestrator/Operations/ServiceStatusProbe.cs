using Dean.ServiceDefaults.Http;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Dean.ServiceDefaults;
using Npgsql;
using StackExchange.Redis;

namespace Dean.Orchestrator.Operations;

/// <summary>Probes every part of DEAN the orchestrator depends on, measuring each round trip.</summary>
public sealed class ServiceStatusProbe(IHttpClientFactory http, NpgsqlDataSource db, IConnectionMultiplexer redis, ServiceIdentity self, TimeProvider time)
{
    public static readonly string[] Services = ["indexagent", "economy"];

    public async Task<IReadOnlyDictionary<string, ServiceStatus>> ProbeAllAsync(CancellationToken ct)
    {
        var probes = Services.ToDictionary(s => s, s => ProbeServiceAsync(s, ct));
        probes["postgres"] = ProbePostgresAsync(ct);
        probes["redis"] = ProbeRedisAsync(ct);
        await Task.WhenAll(probes.Values);
        var result = probes.ToDictionary(p => p.Key, p => p.Value.Result);
        result["orchestrator"] = new ServiceStatus("healthy", 0, self.Version, time.GetUtcNow().UtcDateTime, null);
        return result;
    }

    private async Task<ServiceStatus> ProbeServiceAsync(string service, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            using var response = await http.CreateClient(ServiceClientExtensions.HealthClientName(service)).GetAsync("/health", ct);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            return new ServiceStatus(body.GetProperty("status").GetString() ?? "unknown", Elapsed(stopwatch),
                body.GetProperty("version").GetString(), time.GetUtcNow().UtcDateTime, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException or KeyNotFoundException)
        {
            return new ServiceStatus("unhealthy", Elapsed(stopwatch), null, time.GetUtcNow().UtcDateTime, ex.Message);
        }
    }

    private async Task<ServiceStatus> ProbePostgresAsync(CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            await using var command = db.CreateCommand("SHOW server_version");
            var version = (string?)await command.ExecuteScalarAsync(ct);
            return new ServiceStatus("healthy", Elapsed(stopwatch), version, time.GetUtcNow().UtcDateTime, null);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            return new ServiceStatus("unhealthy", Elapsed(stopwatch), null, time.GetUtcNow().UtcDateTime, ex.Message);
        }
    }

    private async Task<ServiceStatus> ProbeRedisAsync(CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            await redis.GetDatabase().PingAsync();
            var latency = Elapsed(stopwatch);
            var server = redis.GetServers().FirstOrDefault();
            return new ServiceStatus("healthy", latency, server?.Version.ToString(), time.GetUtcNow().UtcDateTime, null);
        }
        catch (RedisException ex)
        {
            return new ServiceStatus("unhealthy", Elapsed(stopwatch), null, time.GetUtcNow().UtcDateTime, ex.Message);
        }
    }

    private static double Elapsed(Stopwatch stopwatch) => Math.Round(stopwatch.Elapsed.TotalMilliseconds, 2);
}
