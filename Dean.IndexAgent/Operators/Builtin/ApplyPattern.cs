using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Patterns;

namespace Dean.IndexAgent.Operators.Builtin;

/// <summary>
/// Applies a catalogued pattern (<see cref="ProposalContext.Patterns"/>). A pattern with a template (from the catalogue)
/// goes through <see cref="PatternApplier"/>: matched by shape (literals are wildcards, whitespace ignored) inside the
/// editable ranges only, so it applies to code with other literals. A pattern without one (given inline with the evolve
/// request): its <c>Before</c> text, found inside an editable range (exactly, or line by line ignoring indentation),
/// becomes its <c>After</c> text (re-indented).
/// <c>apply-pattern</c> picks any given pattern; <c>pattern:{id}</c> applies that one.
/// </summary>
public sealed class ApplyPattern : IEditStrategy
{
    public string Name => Genome.ApplyPattern;

    public int MaxWrittenTokens(ProposalContext context, TokenCounter tokens) =>
        context.Patterns.Select(p => tokens.Count(p.After) + p.After.Count(c => c == '\n') + 1
                                     // a template keeps the site's own literals: at most the editable text around them
                                     + (p.Template is null ? 0 : context.Files.Select(f => tokens.Count(f.EditableText())).DefaultIfEmpty(0).Max()))
            .DefaultIfEmpty(0).Max();

    public Edit? TryEdit(ProposalContext context, string strategy, Random random)
    {
        var candidates = strategy.StartsWith(Genome.PatternPrefix, StringComparison.Ordinal)
            ? context.Patterns.Where(p => p.Id == strategy[Genome.PatternPrefix.Length..]).ToList()
            : context.Patterns.ToList();
        // Try the patterns in a seeded order until one fits.
        foreach (var pattern in candidates.OrderBy(_ => random.Next()))
        {
            if (pattern.Template is { } json)
            {
                if (ApplyTemplate(context, pattern, PatternTemplate.FromJson(json), random) is { } templated) return templated;
                continue;
            }
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

    /// <summary>The template applied to each file's editable ranges (frozen lines never match), the first file that changes wins.</summary>
    private static Edit? ApplyTemplate(ProposalContext context, PatternEdit pattern, PatternTemplate template, Random random)
    {
        foreach (var file in context.Files.OrderBy(_ => random.Next()))
        {
            var lines = file.Lines;
            foreach (var range in file.Editable.OrderBy(_ => random.Next()))
            {
                var block = string.Join('\n', lines[range.Start..range.End]);
                var applied = PatternApplier.Apply(template, block, random);
                if (!applied.Applied || applied.Text == block) continue;
                var replacement = applied.Text.Split('\n');
                var content = EditableLines.Replace(file, range.Start, replacement, range.Count);
                if (content == file.Content) continue;
                var site = range.Start + applied.SiteLines.DefaultIfEmpty(0).First() + 1;
                var written = Patterns.LineDiff.Compute(Patterns.LineDiff.SplitLines(block), Patterns.LineDiff.SplitLines(applied.Text))
                    .Where(l => l.Operation == DiffOperation.Insert).Select(l => l.Text);
                return new Edit(file.Path, content, "apply-pattern", $"{file.Path}:{site}: apply pattern {pattern.Id}", string.Join('\n', written));
            }
        }
        return null;
    }
}
