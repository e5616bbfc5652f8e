using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Dean.Orchestrator.Auth;
using Dean.Orchestrator.Clients;
using Microsoft.Extensions.Options;

namespace Dean.Orchestrator.Backups;

public sealed class MaintenanceOptions
{
    public const string Section = "Orchestrator:Maintenance";

    /// <summary>Ledger rows older than this many days are exported and pruned by the weekly maintenance (the Economy refuses fewer than 7).</summary>
    public int LedgerRetentionDays { get; set; } = 90;

    /// <summary>Export files older than this many days are deleted.</summary>
    public int LedgerExportRetentionDays { get; set; } = 365;

    /// <summary>Where exports go; default <c>{Orchestrator:DataDirectory}/ledger-exports</c>.</summary>
    public string? LedgerExportDirectory { get; set; }
}

public sealed record LedgerExportResult(long Rows, string? File, long PrunedRows, long PrunedIdempotencyKeys, IReadOnlyList<string> FilesRemoved);

/// <summary>
/// The ledger's old history, moved out of the hot table: the Economy's journal rows older than the retention are
/// written oldest first to <c>ledger_{first id}_{last id}_{yyyyMMdd}.ndjson.gz</c> (one JSON row per line, the shape
/// of <c>GET /api/v1/economy/transactions</c>), the file is synced and read back, and only then are exactly those rows
/// pruned at the Economy. A crash between the two leaves the rows in place: the next run exports them again.
/// </summary>
public sealed class LedgerExporter(EconomyClient economy, IOptions<MaintenanceOptions> options, IOptions<OrchestratorOptions> orchestrator,
    TimeProvider time, ILogger<LedgerExporter> logger)
{
    private const int PageSize = 5_000;
    private static readonly JsonSerializerOptions Json = Microsoft.Extensions.Hosting.Extensions.DeanJson;

    public string Folder => options.Value.LedgerExportDirectory is { Length: > 0 } d ? d : Path.Combine(orchestrator.Value.DataDirectory, "ledger-exports");

    public async Task<LedgerExportResult> ExportAndPruneAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var before = now - TimeSpan.FromDays(options.Value.LedgerRetentionDays);
        Directory.CreateDirectory(Folder);
        var partial = Path.Combine(Folder, $"ledger_{now:yyyyMMdd_HHmmss}.ndjson.gz.partial");
        var (rows, first, last) = await WriteAsync(partial, before, ct);

        string? file = null;
        if (rows == 0)
        {
            File.Delete(partial);
        }
        else
        {
            var (readBack, lastRead) = await CountAsync(partial, ct);
            if (readBack != rows || lastRead != last)
                throw new InvalidOperationException($"{partial} reads back {readBack} rows up to id {lastRead}, {rows} up to {last} were written; nothing pruned");
            file = Path.Combine(Folder, $"ledger_{first}_{last}_{now:yyyyMMdd}.ndjson.gz");
            File.Move(partial, file, overwrite: true);
            logger.LogInformation("Ledger export: {Rows} rows (ids {First}–{Last}) older than {Before:O} written to {File}", rows, first, last, before, file);
        }

        // With nothing exported, through_id 0 prunes no journal row, only idempotency records past the retention.
        var pruned = await economy.PruneLedgerAsync(last, before, ct);
        var (prunedRows, prunedKeys) = (pruned.PrunedRows, pruned.PrunedIdempotencyKeys);
        var removed = RemoveExpiredExports(now - TimeSpan.FromDays(options.Value.LedgerExportRetentionDays));
        logger.LogInformation("Ledger export: {Pruned} journal rows and {Keys} idempotency records pruned; {Removed} export files past retention removed",
            prunedRows, prunedKeys, removed.Count);
        return new LedgerExportResult(rows, file, prunedRows, prunedKeys, removed);
    }

    private async Task<(long Rows, long First, long Last)> WriteAsync(string path, DateTimeOffset before, CancellationToken ct)
    {
        long rows = 0, first = 0, last = 0;
        await using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        await using (var gzip = new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true))
        await using (var writer = new StreamWriter(gzip, new UTF8Encoding(false)))
        {
            long? after = 0;
            while (after is { } from)
            {
                var page = await economy.LedgerPageAsync(before, from, PageSize, ct);
                foreach (var row in page.Transactions)
                {
                    await writer.WriteLineAsync(JsonSerializer.Serialize(row, Json).AsMemory(), ct);
                    last = row.Id;
                    if (rows++ == 0) first = last;
                }
                after = page.NextAfterId;
                if (rows > 0 && rows % 50_000 < PageSize) logger.LogInformation("Ledger export: {Rows} rows written", rows);
            }
        }
        stream.Flush(flushToDisk: true);
        return (rows, first, last);
    }

    private static async Task<(long Rows, long LastId)> CountAsync(string path, CancellationToken ct)
    {
        long rows = 0, last = 0;
        await using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            using var row = JsonDocument.Parse(line);
            last = row.RootElement.GetProperty("id").GetInt64();
            rows++;
        }
        return (rows, last);
    }

    private List<string> RemoveExpiredExports(DateTimeOffset olderThan)
    {
        var removed = new List<string>();
        foreach (var path in Directory.EnumerateFiles(Folder, "ledger_*.ndjson.gz*"))
        {
            if (File.GetLastWriteTimeUtc(path) >= olderThan.UtcDateTime) continue;
            File.Delete(path);
            removed.Add(Path.GetFileName(path));
        }
        return removed;
    }
}
