using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Patterns;

namespace Dean.IndexAgent.Operators.Builtin;

/// <summary>
/// Line-level crossover with another agent's version of the same files (editable ranges only, aligned block by block).
/// Needs <see cref="ProposalContext.CrossoverSource"/>. With the two histories' common ancestor
/// (<see cref="ProposalContext.CrossoverAncestor"/>) it is a three-way merge: each region the source changed since then
/// is taken with probability ½ (at least one), on top of the agent's own changes, so improvements that two lineages
/// found apart come together in one candidate. Without an ancestor it adopts one differing hunk, which may as well
/// undo one of the agent's own changes.
/// </summary>
public sealed class Crossover : IEditStrategy
{
    public string Name => Genome.Crossover;

    public int MaxWrittenTokens(ProposalContext context, TokenCounter tokens) =>
        (context.CrossoverSource ?? []).Select(f => tokens.Count(f.EditableText())).DefaultIfEmpty(0).Max();

    public Edit? TryEdit(ProposalContext context, string strategy, Random random)
    {
        if (context.CrossoverSource is not { Count: > 0 } source) return null;
        if (context.CrossoverAncestor is { Count: > 0 } ancestor) return Merge(context.Files, source, ancestor, random);
        var options = new List<(EvolveFile Mine, int Range, IReadOnlyList<DiffLine> Entries, int Group)>();
        foreach (var mine in context.Files)
        {
            var theirs = source.FirstOrDefault(f => f.Path == mine.Path);
            if (theirs is null || theirs.Editable.Count != mine.Editable.Count) continue;
            for (var r = 0; r < mine.Editable.Count; r++)
            {
                var entries = LineDiff.Compute(mine.Lines[mine.Editable[r].Start..mine.Editable[r].End],
                    theirs.Lines[theirs.Editable[r].Start..theirs.Editable[r].End]);
                var groups = Groups(entries).Count();
                for (var g = 0; g < groups; g++) options.Add((mine, r, entries, g));
            }
        }
        if (options.Count == 0) return null;

        var (file, rangeIndex, diff, chosen) = EditableLines.Pick(options, random);
        var merged = new List<string>();
        var written = new List<string>();
        var group = -1;
        var inGroup = false;
        foreach (var entry in diff)
        {
            if (entry.Operation == DiffOperation.Equal) { inGroup = false; merged.Add(entry.Text); continue; }
            if (!inGroup) { group++; inGroup = true; }
            var adopt = group == chosen;
            if (entry.Operation == DiffOperation.Delete && !adopt) merged.Add(entry.Text);
            if (entry.Operation == DiffOperation.Insert && adopt) { merged.Add(entry.Text); written.Add(entry.Text); }
        }
        var range = file.Editable[rangeIndex];
        return new Edit(file.Path, EditableLines.Replace(file, range.Start, merged, range.Count), "crossover",
            $"{file.Path}: adopt hunk {chosen + 1} of the crossover source's block {rangeIndex + 1}", string.Join('\n', written));
    }

    private static Edit? Merge(IReadOnlyList<EvolveFile> files, IReadOnlyList<EvolveFile> source, IReadOnlyList<EvolveFile> ancestor, Random random)
    {
        var options = new List<(EvolveFile Mine, List<ThreeWayMerge> Ranges, List<(int Range, int Chunk)> Adoptable)>();
        foreach (var mine in files)
        {
            var theirs = source.FirstOrDefault(f => f.Path == mine.Path);
            var common = ancestor.FirstOrDefault(f => f.Path == mine.Path);
            if (theirs is null || common is null || theirs.Editable.Count != mine.Editable.Count || common.Editable.Count != mine.Editable.Count) continue;
            var merges = new List<ThreeWayMerge>();
            var adoptable = new List<(int, int)>();
            for (var r = 0; r < mine.Editable.Count; r++)
            {
                var merge = new ThreeWayMerge(Slice(common, r), Slice(mine, r), Slice(theirs, r));
                merges.Add(merge);
                for (var c = 0; c < merge.Chunks.Count; c++)
                    if (merge.Chunks[c].TheirsOnly || merge.Chunks[c].Conflict) adoptable.Add((r, c));
            }
            if (adoptable.Count > 0) options.Add((mine, merges, adoptable));
        }
        if (options.Count == 0) return null;

        var (file, ranges, changes) = EditableLines.Pick(options, random);
        var first = random.Next(changes.Count);
        var taken = changes.Where((_, i) => i == first || random.Next(2) == 0).ToHashSet();
        var lines = file.Lines.ToList();
        var written = new List<string>();
        for (var r = ranges.Count - 1; r >= 0; r--)
        {
            var chunks = taken.Where(t => t.Range == r).Select(t => t.Chunk).ToHashSet();
            if (chunks.Count == 0) continue;
            var range = file.Editable[r];
            lines.RemoveRange(range.Start, range.Count);
            lines.InsertRange(range.Start, ranges[r].Merge(chunks));
            written.InsertRange(0, chunks.Order().SelectMany(c => ranges[r].Chunks[c].Theirs));
        }
        return new Edit(file.Path, string.Join('\n', lines), "crossover",
            $"{file.Path}: merge {taken.Count} of the {changes.Count} changes the crossover source made since the common ancestor", string.Join('\n', written));
    }

    private static string[] Slice(EvolveFile file, int range) => file.Lines[file.Editable[range].Start..file.Editable[range].End];

    private static IEnumerable<int> Groups(IReadOnlyList<DiffLine> entries)
    {
        var count = 0;
        var inGroup = false;
        foreach (var entry in entries)
        {
            if (entry.Operation == DiffOperation.Equal) { inGroup = false; continue; }
            if (!inGroup) { yield return count++; inGroup = true; }
        }
    }
}
