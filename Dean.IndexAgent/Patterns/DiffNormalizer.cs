using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Dean.IndexAgent.Patterns;

/// <summary>A line of a normalised hunk: its role, its tokens, and the original text (for applying the pattern elsewhere).</summary>
/// <param name="Role">' ' for an anchor (context) line, '-' removed, '+' added.</param>
/// <param name="Raw">The original line, indentation included.</param>
public sealed record NormalizedLine(char Role, string Raw, IReadOnlyList<CodeToken> Tokens)
{
    /// <summary>Whitespace and literals folded: tokens joined by single spaces, numbers and strings replaced by placeholders.</summary>
    public string Shape => string.Join(' ', Tokens.Select(t => t.Folded));

    public string Indentation => Raw[..(Raw.Length - Raw.TrimStart().Length)];
}

/// <summary>
/// One block of change. <see cref="Anchor"/> is empty unless the block only inserts lines, in which case it holds the
/// significant line before the insertion (<see cref="AnchorPrecedes"/>) or, at the start of the file, the one after.
/// </summary>
public sealed record NormalizedHunk(
    IReadOnlyList<NormalizedLine> Anchor,
    bool AnchorPrecedes,
    IReadOnlyList<NormalizedLine> Removed,
    IReadOnlyList<NormalizedLine> Added);

/// <summary>A change with whitespace and literal values folded. <see cref="Text"/> is the canonical form that is hashed.</summary>
public sealed record NormalizedDiff(IReadOnlyList<NormalizedHunk> Hunks)
{
    public bool IsEmpty => Hunks.Count == 0;

    public string Text
    {
        get
        {
            var text = new StringBuilder();
            foreach (var hunk in Hunks)
            {
                text.Append("@@\n");
                if (hunk.AnchorPrecedes) AppendLines(text, hunk.Anchor, ' ');
                AppendLines(text, hunk.Removed, '-');
                AppendLines(text, hunk.Added, '+');
                if (!hunk.AnchorPrecedes) AppendLines(text, hunk.Anchor, ' ');
            }
            return text.ToString();
        }
    }

    public int RemovedLineCount => Hunks.Sum(h => h.Removed.Count);

    public int AddedLineCount => Hunks.Sum(h => h.Added.Count);

    private static void AppendLines(StringBuilder text, IReadOnlyList<NormalizedLine> lines, char role)
    {
        foreach (var line in lines)
            text.Append(role).Append(' ').Append(line.Shape).Append('\n');
    }
}

/// <summary>
/// Normalises a change (DESIGN section 7): lines are compared after folding whitespace (so whitespace-only edits
/// vanish and blank lines do not count), the changed lines are grouped into hunks, and in the canonical text numeric
/// and string literals are replaced by placeholders. Context lines are left out so the same change in two files is
/// the same pattern, except that a pure insertion keeps one neighbouring line to say where it goes.
/// </summary>
public static partial class DiffNormalizer
{
    public const string NumberPlaceholder = "<NUM>";
    public const string StringPlaceholder = "<STR>";

    /// <summary>Normalise the change from <paramref name="before"/> to <paramref name="after"/> (whole file versions).</summary>
    public static NormalizedDiff Normalize(string before, string after) =>
        new(NormalizeSegment(LineDiff.SplitLines(before), LineDiff.SplitLines(after)));

    /// <summary>Normalise the changes of every file pair, in the given order.</summary>
    public static NormalizedDiff Normalize(IEnumerable<(string Before, string After)> files) =>
        new(files.SelectMany(f => NormalizeSegment(LineDiff.SplitLines(f.Before), LineDiff.SplitLines(f.After))).ToArray());

    /// <summary>
    /// Normalise a unified diff (as <c>git diff</c> prints it). Each hunk's old side (context and removed lines) and
    /// new side (context and added lines) are re-compared after whitespace folding. File headers are ignored.
    /// </summary>
    public static NormalizedDiff NormalizeUnifiedDiff(string unifiedDiff)
    {
        var hunks = new List<NormalizedHunk>();
        var lines = LineDiff.SplitLines(unifiedDiff);
        var i = 0;
        while (i < lines.Count)
        {
            var header = HunkHeader().Match(lines[i++]);
            if (!header.Success) continue; // file headers (diff --git, index, ---, +++) and anything between hunks

            // The header's line counts say where the hunk ends, so "---"/"+++" inside a hunk are read as lines.
            var oldRemaining = header.Groups["old"].Success ? int.Parse(header.Groups["old"].Value, CultureInfo.InvariantCulture) : 1;
            var newRemaining = header.Groups["new"].Success ? int.Parse(header.Groups["new"].Value, CultureInfo.InvariantCulture) : 1;
            var oldSide = new List<string>();
            var newSide = new List<string>();
            while (i < lines.Count && (oldRemaining > 0 || newRemaining > 0))
            {
                var line = lines[i++];
                if (line.StartsWith('\\')) continue; // "\ No newline at end of file"
                if (line.StartsWith('-')) { oldSide.Add(line[1..]); oldRemaining--; }
                else if (line.StartsWith('+')) { newSide.Add(line[1..]); newRemaining--; }
                else
                {
                    var context = line.Length > 0 ? line[1..] : "";
                    oldSide.Add(context);
                    newSide.Add(context);
                    oldRemaining--;
                    newRemaining--;
                }
            }
            hunks.AddRange(NormalizeSegment(oldSide, newSide));
        }
        return new NormalizedDiff(hunks);
    }

    [GeneratedRegex(@"^@@ -\d+(?:,(?<old>\d+))? \+\d+(?:,(?<new>\d+))? @@")]
    private static partial Regex HunkHeader();

    /// <summary>A line with whitespace folded but literals kept (what lines are compared by).</summary>
    public static string FoldWhitespace(string line) => string.Join(' ', CodeTokenizer.Tokenize(line).Select(t => t.Text));

    /// <summary>A line with whitespace and literals folded.</summary>
    public static string Shape(string line) => string.Join(' ', CodeTokenizer.Tokenize(line).Select(t => t.Folded));

    private static List<NormalizedHunk> NormalizeSegment(IReadOnlyList<string> oldLines, IReadOnlyList<string> newLines)
    {
        var oldSignificant = Significant(oldLines);
        var newSignificant = Significant(newLines);
        var script = LineDiff.Compute(
            oldSignificant.Select(l => FoldWhitespace(l.Raw)).ToArray(),
            newSignificant.Select(l => FoldWhitespace(l.Raw)).ToArray());

        var hunks = new List<NormalizedHunk>();
        var i = 0;
        while (i < script.Count)
        {
            if (script[i].Operation == DiffOperation.Equal)
            {
                i++;
                continue;
            }
            var start = i;
            var removed = new List<NormalizedLine>();
            var added = new List<NormalizedLine>();
            for (; i < script.Count && script[i].Operation != DiffOperation.Equal; i++)
            {
                if (script[i].Operation == DiffOperation.Delete)
                    removed.Add(ToLine('-', oldSignificant[script[i].OldIndex].Raw));
                else
                    added.Add(ToLine('+', newSignificant[script[i].NewIndex].Raw));
            }

            IReadOnlyList<NormalizedLine> anchor = [];
            var anchorPrecedes = true;
            if (removed.Count == 0)
            {
                if (start > 0)
                    anchor = [ToLine(' ', oldSignificant[script[start - 1].OldIndex].Raw)];
                else if (i < script.Count)
                {
                    anchor = [ToLine(' ', oldSignificant[script[i].OldIndex].Raw)];
                    anchorPrecedes = false;
                }
            }
            hunks.Add(new NormalizedHunk(anchor, anchorPrecedes, removed, added));
        }
        return hunks;
    }

    private static NormalizedLine ToLine(char role, string raw) => new(role, raw, CodeTokenizer.Tokenize(raw));

    private static List<(string Raw, int Index)> Significant(IReadOnlyList<string> lines) =>
        lines.Select((raw, index) => (raw, index)).Where(l => !string.IsNullOrWhiteSpace(l.raw)).ToList();
}
