using System.Globalization;
using System.Text.Json;

namespace Dean.IndexAgent.Evaluation;

/// <summary>
/// The resource limits of every command a target runs (its check and its evaluator), from <c>dean.json</c>
/// <c>limits</c>, applied as rlimits with util-linux <c>prlimit</c>: CPU seconds, address space, the largest file it may
/// write, open files, and processes (per sandbox uid: the kernel exempts root); and the size of the sandbox's private
/// <c>/tmp</c> (a tmpfs: cgroups are not available to size disk use otherwise).
/// </summary>
public sealed record ProcessLimits(int CpuSeconds, int MemoryMb, int FileSizeMb, int OpenFiles, int Processes, int TmpMb = 256)
{
    /// <summary>Safe defaults: room for an interpreter and its libraries, not for a runaway.</summary>
    public static ProcessLimits Default { get; } = new(CpuSeconds: 600, MemoryMb: 4096, FileSizeMb: 256, OpenFiles: 1024, Processes: 256, TmpMb: 256);

    private static readonly (string Key, int Max, Func<ProcessLimits, int, ProcessLimits> Set)[] Fields =
    [
        ("cpu_seconds", 86_400, (l, v) => l with { CpuSeconds = v }),
        ("memory_mb", 1_048_576, (l, v) => l with { MemoryMb = v }),
        ("file_size_mb", 1_048_576, (l, v) => l with { FileSizeMb = v }),
        ("open_files", 1_048_576, (l, v) => l with { OpenFiles = v }),
        ("processes", 65_536, (l, v) => l with { Processes = v }),
        ("tmp_mb", 65_536, (l, v) => l with { TmpMb = v }),
    ];

    /// <summary>The <c>prlimit</c> arguments that set these limits on the command that follows them.</summary>
    public IEnumerable<string> PrlimitArguments()
    {
        const long mebibyte = 1024 * 1024;
        yield return "prlimit";
        yield return $"--cpu={CpuSeconds}";
        yield return string.Create(CultureInfo.InvariantCulture, $"--as={MemoryMb * mebibyte}");
        yield return string.Create(CultureInfo.InvariantCulture, $"--fsize={FileSizeMb * mebibyte}");
        yield return $"--nofile={OpenFiles}";
        yield return $"--nproc={Processes}";
        yield return "--";
    }

    /// <summary>The task file's <c>limits</c> object over <see cref="Default"/>; each key a positive integer within its bound.</summary>
    public static ProcessLimits Parse(JsonElement root, string fileName, Dictionary<string, string[]> errors)
    {
        if (!root.TryGetProperty("limits", out var limits) || limits.ValueKind == JsonValueKind.Null) return Default;
        if (limits.ValueKind != JsonValueKind.Object)
        {
            errors["limits"] = [$"{fileName}: limits must be an object with {string.Join(", ", Fields.Select(f => f.Key))}"];
            return Default;
        }
        var parsed = Default;
        foreach (var property in limits.EnumerateObject())
        {
            var field = Fields.FirstOrDefault(f => f.Key == property.Name);
            if (field.Key is null)
                errors[$"limits.{property.Name}"] = [$"{fileName}: unknown limit '{property.Name}'; known: {string.Join(", ", Fields.Select(f => f.Key))}"];
            else if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out var value) || value < 1 || value > field.Max)
                errors[$"limits.{property.Name}"] = [$"{fileName}: limits.{property.Name} must be an integer from 1 to {field.Max}"];
            else
                parsed = field.Set(parsed, value);
        }
        return parsed;
    }
}
