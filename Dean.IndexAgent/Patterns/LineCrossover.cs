using Dean.IndexAgent.Evolution;

namespace Dean.IndexAgent.Patterns;

/// <summary>
/// Line-level crossover of two versions of a file. The versions are aligned by a line diff; common lines are kept and
/// each differing block is taken whole from one parent (the first with probability <c>firstWeight</c>), so the child
/// holds only the parents' lines, in order. Blocks outside the evolve scope (outside
/// <c>EVOLVE-BLOCK-START</c>/<c>EVOLVE-BLOCK-END</c> when the first version has them) always come from the first
/// version, so a crossover never edits what agents may not change.
/// </summary>
public static class LineCrossover
{
    public const string EvolveBlockStart = "EVOLVE-BLOCK-START";
    public const string EvolveBlockEnd = "EVOLVE-BLOCK-END";

    /// <param name="differFromFirst">
    /// When true and some differing block may change, at least one block comes from the second version, so the child is
    /// never just a copy of the first (an operator would waste an evaluation on it).
    /// </param>
    public static string Combine(string first, string second, Random random, double firstWeight = 0.5, bool differFromFirst = false)
    {
        if (firstWeight is < 0.0 or > 1.0 || double.IsNaN(firstWeight))
            throw new ArgumentOutOfRangeException(nameof(firstWeight), firstWeight, "A weight is a probability.");

        var firstLines = LineDiff.SplitLines(first);
        var secondLines = LineDiff.SplitLines(second);
        var inScope = EvolveScope(firstLines);
        var script = LineDiff.Compute(firstLines, secondLines);

        // Split the script into runs of common lines and differing blocks.
        var segments = new List<(List<string> First, List<string> Second, bool Differs, bool Editable)>();
        var i = 0;
        var lastOldIndex = -1;
        while (i < script.Count)
        {
            if (script[i].Operation == DiffOperation.Equal)
            {
                segments.Add(([script[i].Text], [script[i].Text], false, false));
                lastOldIndex = script[i].OldIndex;
                i++;
                continue;
            }
            var fromFirst = new List<string>();
            var fromSecond = new List<string>();
            var editable = true;
            for (; i < script.Count && script[i].Operation != DiffOperation.Equal; i++)
            {
                if (script[i].Operation == DiffOperation.Delete)
                {
                    fromFirst.Add(script[i].Text);
                    editable &= inScope[script[i].OldIndex];
                    lastOldIndex = script[i].OldIndex;
                }
                else fromSecond.Add(script[i].Text);
            }
            if (fromFirst.Count == 0)
                editable = InsertionInScope(firstLines, inScope, lastOldIndex);
            segments.Add((fromFirst, fromSecond, true, editable));
        }

        var takeSecond = segments.Select(s => s.Editable && !random.NextBool(firstWeight)).ToArray();
        var editableBlocks = Enumerable.Range(0, segments.Count).Where(k => segments[k].Editable).ToArray();
        if (differFromFirst && editableBlocks.Length > 0 && !takeSecond.Any(t => t))
            takeSecond[random.Pick(editableBlocks)] = true;

        var child = segments.SelectMany((s, k) => takeSecond[k] ? s.Second : s.First).ToList();
        var newline = first.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var endsWithNewline = first.EndsWith('\n') || (first.Length == 0 && second.EndsWith('\n'));
        return string.Join(newline, child) + (endsWithNewline && child.Count > 0 ? newline : "");
    }

    /// <summary>Whether lines inserted after line <paramref name="after"/> (−1: at the top) land inside the evolve scope.</summary>
    private static bool InsertionInScope(IReadOnlyList<string> lines, bool[] inScope, int after)
    {
        if (!lines.Any(l => l.Contains(EvolveBlockStart, StringComparison.Ordinal)))
            return true;
        var opensBlock = after >= 0 && (inScope[after] || lines[after].Contains(EvolveBlockStart, StringComparison.Ordinal));
        var next = after + 1;
        var closesBlock = next < lines.Count && (inScope[next] || lines[next].Contains(EvolveBlockEnd, StringComparison.Ordinal));
        return opensBlock && closesBlock;
    }

    /// <summary>
    /// For each line, whether it may change: strictly between start and end markers, or every line when the file has
    /// no markers. Marker lines themselves never change.
    /// </summary>
    public static bool[] EvolveScope(IReadOnlyList<string> lines)
    {
        var scope = new bool[lines.Count];
        var hasMarkers = lines.Any(l => l.Contains(EvolveBlockStart, StringComparison.Ordinal));
        if (!hasMarkers)
        {
            Array.Fill(scope, true);
            return scope;
        }
        var inside = false;
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Contains(EvolveBlockStart, StringComparison.Ordinal)) inside = true;
            else if (lines[i].Contains(EvolveBlockEnd, StringComparison.Ordinal)) inside = false;
            else scope[i] = inside;
        }
        return scope;
    }
}
