using System.Text;

namespace Dean.IndexAgent.Operators;

public sealed record DiffStats(int FilesChanged, int LinesAdded, int LinesRemoved)
{
    public static readonly DiffStats Empty = new(0, 0, 0);
    public DiffStats Add(DiffStats other) => new(FilesChanged + other.FilesChanged, LinesAdded + other.LinesAdded, LinesRemoved + other.LinesRemoved);
}

/// <summary>A line diff (longest common subsequence after trimming the common prefix and suffix) rendered as a unified diff.</summary>
public static class LineDiff
{
    private const int Context = 3;
    private const long MaxCells = 4_000_000;

    public enum Op { Keep, Remove, Add }

    public readonly record struct Entry(Op Op, string Line);

    public static IReadOnlyList<Entry> Compute(string[] a, string[] b)
    {
        var prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix]) prefix++;
        var suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[^(suffix + 1)] == b[^(suffix + 1)]) suffix++;

        var result = new List<Entry>(a.Length + b.Length);
        for (var i = 0; i < prefix; i++) result.Add(new Entry(Op.Keep, a[i]));
        var midA = a[prefix..(a.Length - suffix)];
        var midB = b[prefix..(b.Length - suffix)];
        if ((long)midA.Length * midB.Length > MaxCells)
        {
            // Too big for the quadratic table: the whole middle counts as replaced.
            result.AddRange(midA.Select(l => new Entry(Op.Remove, l)));
            result.AddRange(midB.Select(l => new Entry(Op.Add, l)));
        }
        else
        {
            result.AddRange(Lcs(midA, midB));
        }
        for (var i = a.Length - suffix; i < a.Length; i++) result.Add(new Entry(Op.Keep, a[i]));
        return result;
    }

    private static IEnumerable<Entry> Lcs(string[] a, string[] b)
    {
        var n = a.Length;
        var m = b.Length;
        var table = new int[n + 1, m + 1];
        for (var i = n - 1; i >= 0; i--)
        for (var j = m - 1; j >= 0; j--)
            table[i, j] = a[i] == b[j] ? table[i + 1, j + 1] + 1 : Math.Max(table[i + 1, j], table[i, j + 1]);
        int x = 0, y = 0;
        while (x < n && y < m)
        {
            if (a[x] == b[y]) { yield return new Entry(Op.Keep, a[x]); x++; y++; }
            else if (table[x + 1, y] >= table[x, y + 1]) yield return new Entry(Op.Remove, a[x++]);
            else yield return new Entry(Op.Add, b[y++]);
        }
        while (x < n) yield return new Entry(Op.Remove, a[x++]);
        while (y < m) yield return new Entry(Op.Add, b[y++]);
    }

    public static DiffStats Stats(string? before, string? after)
    {
        if (before == after) return DiffStats.Empty;
        var entries = Compute(Split(before), Split(after));
        return new DiffStats(1, entries.Count(e => e.Op == Op.Add), entries.Count(e => e.Op == Op.Remove));
    }

    /// <summary>A unified diff of one file (<c>null</c> content means the file does not exist on that side).</summary>
    public static string Unified(string path, string? before, string? after)
    {
        if (before == after) return "";
        var entries = Compute(Split(before), Split(after));
        var text = new StringBuilder();
        text.Append("--- ").Append(before is null ? "/dev/null" : "a/" + path).Append('\n');
        text.Append("+++ ").Append(after is null ? "/dev/null" : "b/" + path).Append('\n');

        // Positions of each entry in the old and new file, to label the hunks.
        var oldLine = new int[entries.Count];
        var newLine = new int[entries.Count];
        for (int i = 0, o = 0, n = 0; i < entries.Count; i++)
        {
            oldLine[i] = o;
            newLine[i] = n;
            if (entries[i].Op != Op.Add) o++;
            if (entries[i].Op != Op.Remove) n++;
        }
        var index = 0;
        while (index < entries.Count)
        {
            while (index < entries.Count && entries[index].Op == Op.Keep) index++;
            if (index == entries.Count) break;
            var start = Math.Max(0, index - Context);
            var end = index;
            // Extend the hunk while the next change is within 2·Context unchanged lines.
            while (true)
            {
                while (end < entries.Count && entries[end].Op != Op.Keep) end++;
                var keep = end;
                while (keep < entries.Count && entries[keep].Op == Op.Keep && keep - end < 2 * Context) keep++;
                if (keep < entries.Count && entries[keep].Op != Op.Keep) { end = keep; continue; }
                end = Math.Min(entries.Count, end + Context);
                break;
            }
            var hunk = entries.Skip(start).Take(end - start).ToList();
            var oldCount = hunk.Count(e => e.Op != Op.Add);
            var newCount = hunk.Count(e => e.Op != Op.Remove);
            text.Append($"@@ -{oldLine[start] + (oldCount == 0 ? 0 : 1)},{oldCount} +{newLine[start] + (newCount == 0 ? 0 : 1)},{newCount} @@\n");
            foreach (var entry in hunk)
                text.Append(entry.Op switch { Op.Keep => ' ', Op.Remove => '-', _ => '+' }).Append(entry.Line).Append('\n');
            index = end;
        }
        return text.ToString();
    }

    private static string[] Split(string? content) => content is null ? [] : content.Split('\n');
}
