using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dean.IndexAgent.Patterns;

namespace Dean.Bench.Evolution;

/// <summary>
/// The real fast sample (<c>samples/function-minimization</c>) as the objective: a candidate's constants are written
/// into a copy of its <c>program.py</c> — inside the EVOLVE-BLOCK only (<c>step</c>, <c>shrink</c>, <c>restart_every</c>
/// and the range of the <c>rng.uniform</c> restarts) — and scored by running the sample's own evaluator
/// (<c>python3 evaluate.py</c>, its JSON protocol). A program the evaluator rejects scores null. Identical programs are
/// scored once per process (the evaluator is deterministic), which saves time but never changes an evaluation count.
/// </summary>
public sealed class RealSample : IDisposable
{
    private readonly string _directory;
    private readonly string _template;
    private readonly Dictionary<string, double?> _cache = new(StringComparer.Ordinal);

    public int EvaluatorRuns { get; private set; }

    public RealSample(string sampleDirectory)
    {
        _directory = Path.Combine(Path.GetTempPath(), $"dean-bench-evolution-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_directory);
        foreach (var file in Directory.EnumerateFiles(sampleDirectory))
            File.Copy(file, Path.Combine(_directory, Path.GetFileName(file)));
        _template = File.ReadAllText(Path.Combine(sampleDirectory, "program.py"));
        foreach (var anchor in new[] { "step = 2.0", "shrink = 0.999", "restart_every = 1000", "rng.uniform(-5, 5)" })
            if (!EvolveBlock(_template).Contains(anchor, StringComparison.Ordinal))
                throw new InvalidOperationException($"program.py no longer has '{anchor}' in its EVOLVE-BLOCK");
    }

    public static string FindSample()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "function-minimization");
            if (File.Exists(Path.Combine(candidate, "evaluate.py"))) return candidate;
        }
        throw new DirectoryNotFoundException("samples/function-minimization not found above the benchmark's directory");
    }

    private static string EvolveBlock(string text)
    {
        var start = text.IndexOf(LineCrossover.EvolveBlockStart, StringComparison.Ordinal);
        var end = text.IndexOf(LineCrossover.EvolveBlockEnd, StringComparison.Ordinal);
        return text[start..end];
    }

    /// <summary>The real program.py for a constants program, or null when the constants do not parse.</summary>
    public string? Render(string program)
    {
        var constants = SearchProgram.Constants(program);
        if (constants is null) return null;
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var start = _template.IndexOf(LineCrossover.EvolveBlockStart, StringComparison.Ordinal);
        var end = _template.IndexOf(LineCrossover.EvolveBlockEnd, StringComparison.Ordinal);
        var block = _template[start..end]
            .Replace("step = 2.0", $"step = {F(constants["step"])}", StringComparison.Ordinal)
            .Replace("shrink = 0.999", $"shrink = {F(constants["shrink"])}", StringComparison.Ordinal)
            .Replace("restart_every = 1000", $"restart_every = {Math.Round(constants["restart_every"]).ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal)
            .Replace("rng.uniform(-5, 5)", $"rng.uniform(-{F(constants["restart_range"])}, {F(constants["restart_range"])})", StringComparison.Ordinal);
        return _template[..start] + block + _template[end..];
    }

    public double? Score(string program)
    {
        if (_cache.TryGetValue(program, out var cached)) return cached;
        var rendered = Render(program);
        double? score = null;
        if (rendered is not null)
        {
            File.WriteAllText(Path.Combine(_directory, "program.py"), rendered);
            EvaluatorRuns++;
            var info = new ProcessStartInfo("python3", "evaluate.py")
            {
                WorkingDirectory = _directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            if (!process.WaitForExit(10_000)) { process.Kill(entireProcessTree: true); }
            var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
            if (last is not null)
            {
                using var json = JsonDocument.Parse(last);
                if (json.RootElement.GetProperty("passed").GetBoolean() && json.RootElement.GetProperty("score").ValueKind == JsonValueKind.Number)
                    score = json.RootElement.GetProperty("score").GetDouble();
            }
        }
        _cache[program] = score;
        return score;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
