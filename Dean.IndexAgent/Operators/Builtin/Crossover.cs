using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Patterns;

namespace Dean.IndexAgent.Operators.Builtin;

/// <summary>
/// Line-level crossover: adopts one differing hunk of another agent's version of the same file (its editable ranges
/// only, aligned block by block). Needs <see cref="ProposalContext.CrossoverSource"/>.
/// </summary>
public sealed class Crossover : IEditStrategy
{
    public string Name => Genome.Crossover;

    public int MaxWrittenTokens(ProposalContext context, TokenCounter tokens) =>
        (context.CrossoverSource ?? []).Select(f => tokens.Count(f.EditableText())).DefaultIfEmpty(0).Max();

    public Edit? TryEdit(ProposalContext context, string strategy, Random random)
    {
        if (context.CrossoverSource is not { Count: > 0 } source) return null;
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
