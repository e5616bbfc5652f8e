using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Dapper;
using Dean.Economy.Accounts;
using Dean.ServiceDefaults.Metrics;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Dean.Economy.Infrastructure;

/// <summary>
/// The economy's Prometheus series. Counters are recorded where the movement happens (never on replays); gauges read a
/// snapshot of the database that <see cref="EconomyMetricsRefresher"/> keeps current, so every replica reports the
/// same figures.
/// </summary>
public sealed class EconomyMetrics
{
    private readonly Counter<long> _consumed;
    private readonly Counter<long> _allocated;
    private readonly Counter<long> _refusals;
    private readonly ConcurrentDictionary<string, byte> _tracked = new(StringComparer.Ordinal);
    private long _remaining;
    private long _activeReservations;

    public EconomyMetrics(DeanMeters meters)
    {
        var meter = meters.Meter;
        _consumed = meter.CreateCounter<long>("dean_tokens_consumed", description: "Tokens charged by settlements, per agent");
        _allocated = meter.CreateCounter<long>("dean_tokens_allocated", description: "Tokens granted by allocations");
        _refusals = meter.CreateCounter<long>("dean_budget_refusals", description: "Allocations and reservations refused for lack of budget, per reason");
        meter.CreateObservableGauge("dean_tokens_remaining", () => Interlocked.Read(ref _remaining),
            description: "Global budget minus all tokens consumed");
        meter.CreateObservableGauge("dean_token_reservations_active", () => Interlocked.Read(ref _activeReservations),
            description: "Reservations taken and not yet settled, released or expired");
        // Exported from start-up at zero, so dashboards never point at a missing series.
        _allocated.Add(0);
        foreach (var reason in AllocationPolicy.RefusalReasons) _refusals.Add(0, new KeyValuePair<string, object?>("reason", reason));
    }

    public void Consumed(string agentId, long tokens)
    {
        _tracked.TryAdd(agentId, 0);
        _consumed.Add(tokens, new KeyValuePair<string, object?>("agent", agentId));
    }

    /// <summary>Starts an agent's consumption series at zero (on its first allocation, and for known accounts at start-up).</summary>
    public void TrackAccount(string agentId)
    {
        if (_tracked.TryAdd(agentId, 0)) _consumed.Add(0, new KeyValuePair<string, object?>("agent", agentId));
    }

    public void Allocated(long tokens) => _allocated.Add(tokens);

    public void Refused(string reason) => _refusals.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Update(long remaining, long activeReservations)
    {
        Interlocked.Exchange(ref _remaining, remaining);
        Interlocked.Exchange(ref _activeReservations, activeReservations);
    }
}

/// <summary>Seeds the per-agent series at start-up and refreshes the gauges' snapshot every few seconds.</summary>
public sealed class EconomyMetricsRefresher(NpgsqlDataSource db, EconomyMetrics metrics, IOptions<EconomyOptions> options,
    ILogger<EconomyMetricsRefresher> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Migrations have run (their hosted service starts first), so the tables exist.
        await using (var c = await db.OpenConnectionAsync(cancellationToken))
        {
            foreach (var id in await c.QueryAsync<string>("SELECT account_id FROM economy_accounts")) metrics.TrackAccount(id);
        }
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.MetricsRefreshSeconds)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(ex, "Could not refresh the economy gauges");
            }
        }
    }

    private async Task RefreshAsync(CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var (remaining, active) = await c.QuerySingleAsync<(long, long)>(new CommandDefinition("""
            SELECT (SELECT global_budget FROM economy_settings WHERE id = 1) - (SELECT COALESCE(sum(consumed), 0)::bigint FROM economy_accounts),
                   (SELECT count(*) FROM economy_reservations WHERE status = 'active')
            """, cancellationToken: ct));
        metrics.Update(remaining, active);
    }
}

public sealed class EconomyOptions
{
    public const string Section = "Economy";

    /// <summary>How long a reservation lives unless settled or released (a crashed agent's tokens come back after this).</summary>
    public int ReservationTtlSeconds { get; set; } = 300;

    /// <summary>The longest TTL a caller may ask for with <c>ttl_seconds</c>.</summary>
    public int MaxReservationTtlSeconds { get; set; } = 3600;

    public int ExpirySweepSeconds { get; set; } = 10;
    public int MetricsRefreshSeconds { get; set; } = 5;
}
