using Dapper;
using Dean.ServiceDefaults.Metrics;
using Npgsql;

namespace Dean.Orchestrator.Backups;

/// <summary><c>dean_last_backup_timestamp_seconds</c>: Unix time of the newest completed backup (0 = never), for the BackupMissing alert.</summary>
public sealed class BackupMetrics
{
    private readonly NpgsqlDataSource _db;
    private double _last;

    public BackupMetrics(DeanMeters meters, NpgsqlDataSource db)
    {
        _db = db;
        meters.Meter.CreateObservableGauge("dean_last_backup_timestamp_seconds", () => Volatile.Read(ref _last),
            description: "Unix time of the newest completed backup; 0 when there is none");
    }

    public void Completed(DateTimeOffset at) => Volatile.Write(ref _last, at.ToUnixTimeMilliseconds() / 1000.0);

    public async Task LoadAsync(CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        var last = await connection.ExecuteScalarAsync<DateTime?>("SELECT max(completed_at) FROM backups WHERE status = 'completed'");
        if (last is { } t) Completed(new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)));
    }
}
