using Dean.IndexAgent.Evolution;

namespace Dean.IndexAgent.Patterns;

/// <summary>The result of applying a pattern: the new text, or the unchanged text and why nothing was applied.</summary>
/// <param name="SiteLines">0-based line numbers (in the input) of each hunk's matched site.</param>
public sealed record PatternApplication(bool Applied, string Text, IReadOnlyList<int> SiteLines, string? Reason)
{
    public static PatternApplication NotApplied(string text, string reason) => new(false, text, [], reason);
}

/// <summary>
/// Applies a catalogued pattern to another version of a file (how the built-in operator uses a propagated pattern).
/// Each hunk looks for consecutive significant (non-blank) lines whose shapes equal the hunk's "before" shapes, so
/// literals act as wildcards and whitespace is ignored; the first site (or a seeded random one) where the change makes
/// a difference is rewritten, keeping the site's own literals where the pattern kept them and its indentation.
/// Every hunk must find a site, otherwise nothing is applied.
/// </summary>
public static class PatternApplier
{
    public static PatternApplication Apply(PatternTemplate template, string text, Random? random = null)
    {
        if (template.Hunks.Count == 0)
            return PatternApplication.NotApplied(text, "the pattern has no change");

        var newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var endsWithNewline = text.EndsWith('\n');
        var lines = LineDiff.SplitLines(text).ToList();
        var sites = new List<int>();
        // Line numbers reported in input coordinates: track how earlier hunks shifted the lines.
        var originalIndex = Enumerable.Range(0, lines.Count).ToList();

        for (var h = 0; h < template.Hunks.Count; h++)
        {
            var hunk = template.Hunks[h];
            var significant = Enumerable.Range(0, lines.Count).Where(i => !string.IsNullOrWhiteSpace(lines[i])).ToArray();
            var shapes = significant.Select(i => DiffNormalizer.Shape(lines[i])).ToArray();
            var match = hunk.MatchShapes;

            var candidates = new List<int>();
            for (var p = 0; p + match.Count <= significant.Length; p++)
            {
                var matches = true;
                for (var k = 0; k < match.Count && matches; k++)
                    matches = string.Equals(shapes[p + k], match[k], StringComparison.Ordinal);
                if (matches) candidates.Add(p);
            }
            if (match.Count == 0 && significant.Length == 0)
                candidates.Add(0);
            if (random is not null)
                candidates = random.Draw(candidates, candidates.Count);

            var applied = false;
            foreach (var p in candidates)
            {
                var siteLines = Enumerable.Range(p, match.Count).Select(k => significant[k]).ToArray();
                var replacement = Rewrite(hunk, lines, siteLines);
                if (replacement is null) continue;
                var (start, removeCount, inserted) = replacement.Value;
                if (removeCount == inserted.Count && lines.Skip(start).Take(removeCount).SequenceEqual(inserted, StringComparer.Ordinal))
                    continue; // This site already has the "after" form.

                sites.Add(siteLines.Length > 0 ? originalIndex[siteLines[0]] : 0);
                lines.RemoveRange(start, removeCount);
                lines.InsertRange(start, inserted);
                originalIndex.RemoveRange(start, removeCount);
                originalIndex.InsertRange(start, Enumerable.Repeat(-1, inserted.Count));
                applied = true;
                break;
            }
            if (!applied)
                return PatternApplication.NotApplied(text, candidates.Count == 0
                    ? $"hunk {h + 1} of the pattern matches no site"
                    : $"hunk {h + 1} of the pattern would change nothing at any matching site");
        }

        var result = string.Join(newline, lines) + (endsWithNewline && lines.Count > 0 ? newline : "");
        return new PatternApplication(true, result, sites, null);
    }

    private static (int Start, int RemoveCount, List<string> Inserted)? Rewrite(TemplateHunk hunk, List<string> lines, int[] siteLines)
    {
        var literals = siteLines
            .SelectMany(i => CodeTokenizer.Tokenize(lines[i]))
            .Where(t => t.IsLiteral)
            .Select(t => t.Text)
            .ToArray();
        var referenceIndent = siteLines.Length > 0 ? Indentation(lines[siteLines[0]]) : "";

        var inserted = new List<string>();
        foreach (var line in hunk.Added)
        {
            var content = new System.Text.StringBuilder(Indent(referenceIndent, line.IndentDelta));
            foreach (var segment in line.Segments)
            {
                if (segment.SiteLiteral is { } index)
                {
                    if (index >= literals.Length) return null;
                    content.Append(literals[index]);
                }
                else content.Append(segment.Text);
            }
            inserted.Add(content.ToString());
        }

        if (hunk.AnchorShapes.Count > 0)
        {
            var at = hunk.AnchorPrecedes ? siteLines[^1] + 1 : siteLines[0];
            return (at, 0, inserted);
        }
        if (siteLines.Length == 0)
            return (lines.Count, 0, inserted);
        // Blank lines between the removed lines go with them.
        return (siteLines[0], siteLines[^1] - siteLines[0] + 1, inserted);
    }

    private static string Indentation(string line) => line[..(line.Length - line.TrimStart().Length)];

    private static string Indent(string reference, int delta)
    {
        if (delta == 0) return reference;
        var usesTabs = reference.Contains('\t');
        if (delta > 0)
            return usesTabs && delta % PatternTemplate.TabWidth == 0
                ? reference + new string('\t', delta / PatternTemplate.TabWidth)
                : reference + new string(' ', delta);
        // Dedent: drop trailing indentation characters until |delta| columns are gone.
        var remaining = -delta;
        var end = reference.Length;
        while (remaining > 0 && end > 0)
        {
            remaining -= reference[end - 1] == '\t' ? PatternTemplate.TabWidth : 1;
            end--;
        }
        return reference[..end];
    }
}
