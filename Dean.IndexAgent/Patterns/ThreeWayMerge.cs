namespace Dean.IndexAgent.Patterns;

/// <summary>
/// One region where two descendants of a common ancestor differ from it: the ancestor's lines there and each side's.
/// Outside the chunks of a <see cref="ThreeWayMerge"/>, all three versions hold the same lines.
/// </summary>
public sealed record MergeChunk(IReadOnlyList<string> Ancestor, IReadOnlyList<string> Mine, IReadOnlyList<string> Theirs)
{
    /// <summary>Only the other side changed this region: taking theirs adds their change and loses nothing of mine.</summary>
    public bool TheirsOnly => Mine.SequenceEqual(Ancestor) && !Theirs.SequenceEqual(Ancestor);

    /// <summary>Both sides changed it, differently.</summary>
    public bool Conflict => !Mine.SequenceEqual(Ancestor) && !Theirs.SequenceEqual(Ancestor) && !Mine.SequenceEqual(Theirs);
}

/// <summary>
/// A line-level three-way merge (diff3): both versions are diffed against their common ancestor, and every region
/// either side changed becomes a <see cref="MergeChunk"/>. Choosing the theirs-side of some chunks and mine of the rest
/// gives a program that holds changes of both lineages, which a two-way line crossover cannot tell apart from the
/// reverts of one's own changes.
/// </summary>
public sealed class ThreeWayMerge
{
    // Interleaved slots: 2i is "inserted before ancestor line i", 2i+1 is ancestor line i.
    private readonly IReadOnlyList<string> _ancestor;
    private readonly List<object> _segments = [];

    public ThreeWayMerge(IReadOnlyList<string> ancestor, IReadOnlyList<string> mine, IReadOnlyList<string> theirs)
    {
        _ancestor = ancestor;
        var ours = Align(ancestor, mine);
        var other = Align(ancestor, theirs);
        var slots = 2 * ancestor.Count + 1;
        bool Changed(int slot) => ours.Changed[slot] || other.Changed[slot];

        for (var slot = 0; slot < slots;)
        {
            if (!Changed(slot))
            {
                if (slot % 2 == 1) _segments.Add(ancestor[slot / 2]);
                slot++;
                continue;
            }
            var start = slot;
            while (slot < slots && Changed(slot)) slot++;
            _segments.Add(new MergeChunk(
                Enumerable.Range(start, slot - start).Where(s => s % 2 == 1).Select(s => ancestor[s / 2]).ToList(),
                ours.Text(start, slot), other.Text(start, slot)));
        }
        Chunks = _segments.OfType<MergeChunk>().ToList();
    }

    /// <summary>The regions either side changed, in order.</summary>
    public IReadOnlyList<MergeChunk> Chunks { get; }

    /// <summary>The merged lines: theirs for the chunks whose indices are in <paramref name="takeTheirs"/>, mine for the others.</summary>
    public IReadOnlyList<string> Merge(IReadOnlySet<int> takeTheirs)
    {
        var lines = new List<string>(_ancestor.Count);
        var index = 0;
        foreach (var segment in _segments)
        {
            if (segment is MergeChunk chunk) lines.AddRange(takeTheirs.Contains(index++) ? chunk.Theirs : chunk.Mine);
            else lines.Add((string)segment);
        }
        return lines;
    }

    /// <summary>
    /// A descendant's lines per slot, from its diff against the ancestor. Each run of edits between common lines is one
    /// change: the lines a run writes belong to the slot of the last ancestor line it deletes (a pure insertion to its own
    /// slot), and every slot the run spans is changed, so one edit never splits into pieces and edits of neighbouring
    /// lines by the two sides stay apart. A run that writes as many lines as it deletes is that many one-line changes
    /// (neighbouring constants tuned one by one are separate changes).
    /// </summary>
    private sealed class Alignment(int slots)
    {
        public bool[] Changed { get; } = new bool[slots];
        public List<string>?[] Lines { get; } = new List<string>?[slots]; // null: the ancestor's line (odd slots) or nothing (even)

        public List<string> Text(int from, int to)
        {
            var text = new List<string>();
            for (var slot = from; slot < to; slot++)
                if (Lines[slot] is { } lines) text.AddRange(lines);
            return text;
        }
    }

    private static Alignment Align(IReadOnlyList<string> ancestor, IReadOnlyList<string> descendant)
    {
        var alignment = new Alignment(2 * ancestor.Count + 1);
        for (var i = 0; i < ancestor.Count; i++) alignment.Lines[2 * i + 1] = [ancestor[i]];
        var script = LineDiff.Compute(ancestor, descendant);
        var next = 0; // the ancestor line that follows the last common line
        for (var at = 0; at < script.Count;)
        {
            if (script[at].Operation == DiffOperation.Equal)
            {
                next = script[at++].OldIndex + 1;
                continue;
            }
            var deleted = new List<int>();
            var written = new List<string>();
            for (; at < script.Count && script[at].Operation != DiffOperation.Equal; at++)
            {
                if (script[at].Operation == DiffOperation.Delete) deleted.Add(script[at].OldIndex);
                else written.Add(script[at].Text);
            }
            if (deleted.Count > 1 && deleted.Count == written.Count)
            {
                // As many lines written as deleted: line-for-line replacements, each a change of its own.
                for (var j = 0; j < deleted.Count; j++)
                {
                    alignment.Changed[2 * deleted[j] + 1] = true;
                    alignment.Lines[2 * deleted[j] + 1] = [written[j]];
                }
                next = deleted.Max() + 1;
                continue;
            }
            var (first, last) = deleted.Count > 0 ? (2 * deleted.Min() + 1, 2 * deleted.Max() + 1) : (2 * next, 2 * next);
            for (var slot = first; slot <= last; slot++)
            {
                alignment.Changed[slot] = true;
                alignment.Lines[slot] = null;
            }
            alignment.Lines[last] = written;
            if (deleted.Count > 0) next = deleted.Max() + 1;
        }
        return alignment;
    }
}
