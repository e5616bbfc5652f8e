using System.Text;

namespace Dean.IndexAgent.Operators;

/// <summary>
/// A change rendered as a unified diff, and its line counts. The edit script is <see cref="Patterns.LineDiff"/>'s
/// (Myers, the one line diff of the service); lines are split on <c>\n</c> exactly as stored, so a diff round-trips.
/// </summary>
public static class UnifiedDiff
{
    private const int Context = 3;

    private enum Op { Keep, Remove, Add }

    private readonly record struct Entry(Op Op, string Line);

    private static List<Entry> Compute(string[] a, string[] b) =>
        Patterns.LineDiff.Compute(a, b).Select(l => new Entry(l.Operation switch
        {
            Patterns.DiffOperation.Equal => Op.Keep,
            Patterns.DiffOperation.Delete => Op.Remove,
            _ => Op.Add,
        }, l.Text)).ToList();

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
