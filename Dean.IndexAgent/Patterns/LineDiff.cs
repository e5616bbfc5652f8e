namespace Dean.IndexAgent.Patterns;

public enum DiffOperation
{
    Equal,
    Delete,
    Insert,
}

/// <summary>One line of an edit script. <see cref="OldIndex"/>/<see cref="NewIndex"/> are −1 where the line is absent.</summary>
public readonly record struct DiffLine(DiffOperation Operation, string Text, int OldIndex, int NewIndex);

/// <summary>
/// Line diff by Myers' O(ND) algorithm (shortest edit script of insertions and deletions) after trimming the common
/// prefix and suffix. Lines compare by ordinal equality.
/// </summary>
public static class LineDiff
{
    /// <summary>Splits text into lines on \n, \r\n or \r. A final line terminator does not produce an extra empty line.</summary>
    public static IReadOnlyList<string> SplitLines(string text)
    {
        if (text.Length == 0)
            return [];
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        return text.EndsWith('\n') || text.EndsWith('\r') ? lines[..^1] : lines;
    }

    /// <summary>The shortest edit script turning <paramref name="oldLines"/> into <paramref name="newLines"/>.</summary>
    public static IReadOnlyList<DiffLine> Compute(IReadOnlyList<string> oldLines, IReadOnlyList<string> newLines)
    {
        var (a, b) = Intern(oldLines, newLines);
        var prefix = CommonPrefix(a, b);
        var suffix = CommonSuffix(a, b, prefix);

        var result = new List<DiffLine>(Math.Max(a.Length, b.Length));
        for (var i = 0; i < prefix; i++)
            result.Add(new DiffLine(DiffOperation.Equal, oldLines[i], i, i));

        var middle = MyersScript(a.AsSpan(prefix, a.Length - prefix - suffix), b.AsSpan(prefix, b.Length - prefix - suffix));
        foreach (var (operation, x, y) in middle)
        {
            var oldIndex = operation == DiffOperation.Insert ? -1 : x + prefix;
            var newIndex = operation == DiffOperation.Delete ? -1 : y + prefix;
            result.Add(new DiffLine(operation, operation == DiffOperation.Insert ? newLines[newIndex] : oldLines[oldIndex], oldIndex, newIndex));
        }

        for (var i = 0; i < suffix; i++)
        {
            var oldIndex = a.Length - suffix + i;
            var newIndex = b.Length - suffix + i;
            result.Add(new DiffLine(DiffOperation.Equal, oldLines[oldIndex], oldIndex, newIndex));
        }
        return result;
    }

    /// <summary>Lines deleted plus lines inserted by the shortest edit script, in O(N + M) memory.</summary>
    public static int ChangedLineCount(IReadOnlyList<string> oldLines, IReadOnlyList<string> newLines)
    {
        var (a, b) = Intern(oldLines, newLines);
        var prefix = CommonPrefix(a, b);
        var suffix = CommonSuffix(a, b, prefix);
        return MyersDistance(a.AsSpan(prefix, a.Length - prefix - suffix), b.AsSpan(prefix, b.Length - prefix - suffix));
    }

    /// <summary>
    /// Changed-line ratio: (deleted + inserted) / (lines in both versions), in [0,1]. Identical versions give 0,
    /// versions with no line in common give 1; two empty versions give 0.
    /// </summary>
    public static double ChangedLineRatio(string oldText, string newText)
    {
        var oldLines = SplitLines(oldText);
        var newLines = SplitLines(newText);
        var total = oldLines.Count + newLines.Count;
        return total == 0 ? 0.0 : (double)ChangedLineCount(oldLines, newLines) / total;
    }

    private static (int[] A, int[] B) Intern(IReadOnlyList<string> oldLines, IReadOnlyList<string> newLines)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int Id(string line)
        {
            if (!ids.TryGetValue(line, out var id))
                ids[line] = id = ids.Count;
            return id;
        }
        return (oldLines.Select(Id).ToArray(), newLines.Select(Id).ToArray());
    }

    private static int CommonPrefix(int[] a, int[] b)
    {
        var n = Math.Min(a.Length, b.Length);
        var i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    private static int CommonSuffix(int[] a, int[] b, int prefix)
    {
        var n = Math.Min(a.Length, b.Length) - prefix;
        var i = 0;
        while (i < n && a[a.Length - 1 - i] == b[b.Length - 1 - i]) i++;
        return i;
    }

    private static int MyersDistance(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int n = a.Length, m = b.Length, max = n + m;
        if (max == 0) return 0;
        var v = new int[2 * max + 2];
        for (var d = 0; d <= max; d++)
        {
            for (var k = -d; k <= d; k += 2)
            {
                var x = k == -d || (k != d && v[max + k - 1] < v[max + k + 1]) ? v[max + k + 1] : v[max + k - 1] + 1;
                var y = x - k;
                while (x < n && y < m && a[x] == b[y]) { x++; y++; }
                v[max + k] = x;
                if (x >= n && y >= m) return d;
            }
        }
        return max;
    }

    /// <summary>Myers with a saved frontier per edit distance, then a backtrack from (N, M) to (0, 0).</summary>
    private static List<(DiffOperation Operation, int X, int Y)> MyersScript(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int n = a.Length, m = b.Length, max = n + m;
        var script = new List<(DiffOperation, int, int)>();
        if (max == 0) return script;

        var v = new int[2 * max + 2];
        // Only the diagonals −d−1..d+1 matter when backtracking step d, so the trace is O(D²), not O(D·(N+M)).
        var trace = new List<(int Offset, int[] Values)>();
        var found = false;
        for (var d = 0; d <= max && !found; d++)
        {
            var low = Math.Max(0, max - d - 1);
            var high = Math.Min(v.Length - 1, max + d + 1);
            trace.Add((low, v[low..(high + 1)]));
            for (var k = -d; k <= d; k += 2)
            {
                var x = k == -d || (k != d && v[max + k - 1] < v[max + k + 1]) ? v[max + k + 1] : v[max + k - 1] + 1;
                var y = x - k;
                while (x < n && y < m && a[x] == b[y]) { x++; y++; }
                v[max + k] = x;
                if (x >= n && y >= m) { found = true; break; }
            }
        }

        int cx = n, cy = m;
        for (var d = trace.Count - 1; d >= 0; d--)
        {
            var (offset, values) = trace[d];
            int Frontier(int diagonal) => values[max + diagonal - offset];
            var k = cx - cy;
            var previousK = k == -d || (k != d && Frontier(k - 1) < Frontier(k + 1)) ? k + 1 : k - 1;
            var previousX = d == 0 ? 0 : Frontier(previousK);
            var previousY = d == 0 ? 0 : previousX - previousK;
            while (cx > previousX && cy > previousY)
            {
                cx--; cy--;
                script.Add((DiffOperation.Equal, cx, cy));
            }
            if (d > 0)
            {
                if (cx == previousX) script.Add((DiffOperation.Insert, previousX, previousY));
                else script.Add((DiffOperation.Delete, previousX, previousY));
                cx = previousX; cy = previousY;
            }
        }
        script.Reverse();
        return script;
    }
}
