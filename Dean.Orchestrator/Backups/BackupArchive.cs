using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace Dean.Orchestrator.Backups;

/// <summary>The archive format, without any service I/O: naming, checksums, packing and unpacking, the metadata file.</summary>
public static class BackupArchive
{
    public const string Metadata = "metadata.json";
    public const string DatabaseDump = "database.dump";
    public const string RedisState = "redis.json";
    public const string Patterns = "patterns.json";

    /// <summary>Tables that are never backed up or restored: the backup catalogue itself, restore progress, and the
    /// signing epochs (restoring an old epoch would bring back tokens a rotation revoked).</summary>
    public static readonly string[] ExcludedTables = ["backups", "restores", "auth_signing_epochs"];

    public static string Name(DateTimeOffset at) => $"dean_{at.UtcDateTime:yyyyMMdd_HHmmss}";

    public static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>SHA-256 of every file under the folder except the metadata, by relative path with '/' separators.</summary>
    public static SortedDictionary<string, string> Checksums(string folder) =>
        new(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Where(f => f != Metadata)
            .ToDictionary(f => f, f => Sha256(Path.Combine(folder, f))), StringComparer.Ordinal);

    /// <summary>Files whose checksum differs from the metadata's, or that are missing or unexpected.</summary>
    public static List<string> Mismatches(string folder, IReadOnlyDictionary<string, string> expected)
    {
        var actual = Checksums(folder);
        var bad = expected.Where(e => !actual.TryGetValue(e.Key, out var a) || a != e.Value).Select(e => e.Key).ToList();
        bad.AddRange(actual.Keys.Where(k => !expected.ContainsKey(k)));
        return bad;
    }

    public static void Pack(string folder, string archive)
    {
        var partial = archive + ".partial";
        using (var file = File.Create(partial))
        using (var gzip = new GZipStream(file, CompressionLevel.Optimal))
            TarFile.CreateFromDirectory(folder, gzip, includeBaseDirectory: false);
        File.Move(partial, archive, overwrite: true);
    }

    /// <summary>Unpacks into a new folder; a truncated or corrupted archive throws.</summary>
    public static void Unpack(string archive, string folder)
    {
        Directory.CreateDirectory(folder);
        using var file = File.OpenRead(archive);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        TarFile.ExtractToDirectory(gzip, folder, overwriteFiles: true);
    }

    public static BackupMetadata ReadMetadata(string folder) =>
        JsonSerializer.Deserialize<BackupMetadata>(File.ReadAllText(Path.Combine(folder, Metadata)), Microsoft.Extensions.Hosting.Extensions.DeanJson)
        ?? throw new InvalidDataException("metadata.json is empty");
}

public sealed record TargetBackup(string Name, string Path, Dictionary<string, string> Branches);

public sealed record BackupMetadata(
    string BackupId, DateTimeOffset CreatedAt, string DeanVersion, Dictionary<string, string> ServiceVersions,
    Dictionary<string, long> RowCounts, int RedisKeys, IReadOnlyList<TargetBackup> Targets, SortedDictionary<string, string> Checksums);
