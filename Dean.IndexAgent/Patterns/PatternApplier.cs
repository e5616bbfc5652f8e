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

        var file = new WorkingFile(text);
        var sites = new List<int>();
        for (var h = 0; h < template.Hunks.Count; h++)
        {
            var outcome = ApplyHunk(template.Hunks[h], file, random);
            if (outcome.Site is not { } site)
                return PatternApplication.NotApplied(text, $"hunk {h + 1} of the pattern {outcome.Failure}");
            sites.Add(site);
        }
        return new PatternApplication(true, file.Render(), sites, null);
    }

    /// <summary>
    /// Applies a pattern to a set of files (path → text, e.g. an agent's evolve scope): each hunk goes to the first file,
    /// in path order (or a seeded order), that has a site for it. Returns the changed files only, or null with the reason
    /// when some hunk has no site in any file.
    /// </summary>
    public static (IReadOnlyDictionary<string, string>? Changed, string? Reason) Apply(
        PatternTemplate template, IReadOnlyDictionary<string, string> files, Random? random = null)
    {
        if (template.Hunks.Count == 0)
            return (null, "the pattern has no change");
        var paths = files.Keys.Order(StringComparer.Ordinal).ToList();
        var working = paths.ToDictionary(p => p, p => new WorkingFile(files[p]), StringComparer.Ordinal);
        var touched = new HashSet<string>(StringComparer.Ordinal);
        for (var h = 0; h < template.Hunks.Count; h++)
        {
            var order = random is null ? paths : random.Draw(paths, paths.Count);
            var path = order.FirstOrDefault(p => ApplyHunk(template.Hunks[h], working[p], random).Site is not null);
            if (path is null)
                return (null, $"hunk {h + 1} of the pattern matches no site in any file");
            touched.Add(path);
        }
        return (touched.ToDictionary(p => p, p => working[p].Render(), StringComparer.Ordinal), null);
    }

    /// <summary>A file being rewritten hunk by hunk, remembering which current line came from which input line.</summary>
    private sealed class WorkingFile
    {
        private readonly string newline;
        private readonly bool endsWithNewline;

        public WorkingFile(string text)
        {
            newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
            endsWithNewline = text.EndsWith('\n');
            Lines = LineDiff.SplitLines(text).ToList();
            OriginalIndex = Enumerable.Range(0, Lines.Count).ToList();
        }

        public List<string> Lines { get; }

        /// <summary>Input line number of each current line; −1 for inserted lines.</summary>
        public List<int> OriginalIndex { get; }

        public void Replace(int start, int removeCount, List<string> inserted)
        {
            Lines.RemoveRange(start, removeCount);
            Lines.InsertRange(start, inserted);
            OriginalIndex.RemoveRange(start, removeCount);
            OriginalIndex.InsertRange(start, Enumerable.Repeat(-1, inserted.Count));
        }

        public string Render() => string.Join(newline, Lines) + (endsWithNewline && Lines.Count > 0 ? newline : "");
    }

    /// <summary>Applies one hunk in place; returns the input line of its site, or why it could not.</summary>
    private static (int? Site, string Failure) ApplyHunk(TemplateHunk hunk, WorkingFile file, Random? random)
    {
        var lines = file.Lines;
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

        foreach (var p in candidates)
        {
            var siteLines = Enumerable.Range(p, match.Count).Select(k => significant[k]).ToArray();
            var replacement = Rewrite(hunk, lines, siteLines);
            if (replacement is null) continue;
            var (start, removeCount, inserted) = replacement.Value;
            if (removeCount == inserted.Count && lines.Skip(start).Take(removeCount).SequenceEqual(inserted, StringComparer.Ordinal))
                continue; // This site already has the "after" form.

            var site = siteLines.Length > 0 ? file.OriginalIndex[siteLines[0]] : 0;
            file.Replace(start, removeCount, inserted);
            return (site, "");
        }
        return (null, candidates.Count == 0 ? "matches no site" : "would change nothing at any matching site");
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
