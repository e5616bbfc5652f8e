using Dean.IndexAgent.Agents;

namespace Dean.IndexAgent.Operators.Builtin;

/// <summary>
/// Applies a catalogued pattern (<see cref="ProposalContext.Patterns"/>): its <c>Before</c> text, found inside an
/// editable range (exactly, or line by line ignoring indentation), becomes its <c>After</c> text (re-indented).
/// <c>apply-pattern</c> picks any given pattern; <c>pattern:{id}</c> applies that one.
/// </summary>
public sealed class ApplyPattern : IEditStrategy
{
    public string Name => Genome.ApplyPattern;

    public int MaxWrittenTokens(ProposalContext context, TokenCounter tokens) =>
        context.Patterns.Select(p => tokens.Count(p.After) + p.After.Count(c => c == '\n') + 1).DefaultIfEmpty(0).Max();

    public Edit? TryEdit(ProposalContext context, string strategy, Random random)
    {
        var candidates = strategy.StartsWith(Genome.PatternPrefix, StringComparison.Ordinal)
            ? context.Patterns.Where(p => p.Id == strategy[Genome.PatternPrefix.Length..]).ToList()
            : context.Patterns.ToList();
        // Try the patterns in a seeded order until one fits.
        foreach (var pattern in candidates.OrderBy(_ => random.Next()))
        {
            var before = pattern.Before.Split('\n');
            if (before.All(string.IsNullOrWhiteSpace)) continue;
            foreach (var file in context.Files)
            {
                var lines = file.Lines;
                foreach (var range in file.Editable)
                {
                    for (var i = range.Start; i + before.Length <= range.End; i++)
                    {
                        if (!Enumerable.Range(0, before.Length).All(k => lines[i + k].Trim() == before[k].Trim())) continue;
                        var shift = EditableLines.Indentation(lines[i]);
                        var baseIndent = EditableLines.Indentation(before[0]);
                        var after = pattern.After.Split('\n')
                            .Select(l => l.Length == 0 ? l : shift + (l.StartsWith(baseIndent, StringComparison.Ordinal) ? l[baseIndent.Length..] : l.TrimStart()))
                            .ToList();
                        var content = EditableLines.Replace(file, i, after, before.Length);
                        if (content == file.Content) continue;
                        return new Edit(file.Path, content, "apply-pattern", $"{file.Path}:{i + 1}: apply pattern {pattern.Id}", string.Join('\n', after));
                    }
                }
            }
        }
        return null;
    }
}
