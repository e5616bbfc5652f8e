using Dean.IndexAgent.Targets;

namespace Dean.IndexAgent.Operators;

/// <summary>A half-open range of 0-based line indexes <c>[Start, End)</c> that an edit may change.</summary>
public readonly record struct LineRange(int Start, int End)
{
    public int Count => End - Start;
    public bool Contains(int line) => line >= Start && line < End;
}

/// <summary>One file of an agent's evolve scope as the operators see it.</summary>
public sealed record EvolveFile(string Path, string Content, IReadOnlyList<LineRange> Editable)
{
    public string[] Lines => Content.Split('\n');

    public static EvolveFile Create(string path, string content) =>
        new(path, content, EvolveBlocks.EditableRanges(content.Split('\n')) ?? []);

    /// <summary>The text an edit may change (all editable ranges, joined).</summary>
    public string EditableText()
    {
        var lines = Lines;
        return string.Join('\n', Editable.SelectMany(r => lines[r.Start..r.End]));
    }
}

/// <summary><c>EVOLVE-BLOCK-START</c> / <c>EVOLVE-BLOCK-END</c> lines: when a file has them, only the lines between may change.</summary>
public static class EvolveBlocks
{
    public const string Start = "EVOLVE-BLOCK-START";
    public const string End = "EVOLVE-BLOCK-END";

    /// <summary>
    /// The editable ranges of a file: the lines strictly between each marker pair, or the whole file when it has no
    /// markers; null when the markers are unbalanced or nested (then nothing in the file may change).
    /// </summary>
    public static IReadOnlyList<LineRange>? EditableRanges(string[] lines)
    {
        var ranges = new List<LineRange>();
        int? open = null;
        var sawMarker = false;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Contains(Start, StringComparison.Ordinal))
            {
                if (open is not null) return null;
                open = i + 1;
                sawMarker = true;
            }
            else if (lines[i].Contains(End, StringComparison.Ordinal))
            {
                if (open is null) return null;
                ranges.Add(new LineRange(open.Value, i));
                open = null;
                sawMarker = true;
            }
        }
        if (open is not null) return null;
        if (!sawMarker)
        {
            // A trailing newline leaves an empty last element that is not a line of its own.
            var count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
            return [new LineRange(0, count)];
        }
        return ranges;
    }

    /// <summary>The lines outside the editable ranges (markers included), per gap: what no edit may touch.</summary>
    public static IReadOnlyList<string> Frozen(string[] lines, IReadOnlyList<LineRange> ranges)
    {
        var frozen = new List<string>();
        var from = 0;
        foreach (var range in ranges)
        {
            frozen.Add(string.Join('\n', lines[from..range.Start]));
            from = range.End;
        }
        frozen.Add(string.Join('\n', lines[from..]));
        return frozen;
    }
}

/// <summary>Which files an agent may change and whether a proposed set of changes stays inside that scope.</summary>
public sealed class EvolveScope(IReadOnlyList<string> globs)
{
    public IReadOnlyList<string> Globs { get; } = globs;

    public bool InScope(string path) =>
        !string.Equals(path, TaskFile.FileName, StringComparison.Ordinal) && Glob.MatchesAny(Globs, path);

    /// <summary>
    /// Null when every change is allowed, else the reason it is refused. <paramref name="before"/> holds the current
    /// contents of the changed files (missing for a new file).
    /// </summary>
    public string? Check(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        foreach (var (path, content) in after)
        {
            if (path.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(path) || path.Contains('\\'))
                return $"refused: {path} is not a relative path inside the repository";
            if (!InScope(path))
                return $"refused: {path} is outside the evolve scope ({string.Join(", ", Globs)})";
            if (!before.TryGetValue(path, out var original)) continue;
            var oldLines = original.Split('\n');
            var oldRanges = EvolveBlocks.EditableRanges(oldLines);
            if (oldRanges is null || oldRanges.Count == 0)
                return $"refused: {path} has no editable EVOLVE-BLOCK";
            var newLines = content.Split('\n');
            var newRanges = EvolveBlocks.EditableRanges(newLines);
            if (newRanges is null || newRanges.Count != oldRanges.Count)
                return $"refused: the edit changes the EVOLVE-BLOCK markers of {path}";
            if (!EvolveBlocks.Frozen(oldLines, oldRanges).SequenceEqual(EvolveBlocks.Frozen(newLines, newRanges)))
                return $"refused: the edit changes {path} outside its EVOLVE-BLOCKs";
        }
        return null;
    }
}
