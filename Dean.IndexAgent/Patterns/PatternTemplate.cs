using System.Text.Json;

namespace Dean.IndexAgent.Patterns;

/// <summary>
/// A piece of an added line: verbatim text, or the <see cref="SiteLiteral"/>-th literal of the matched site's
/// "before" lines (a literal the pattern kept rather than changed).
/// </summary>
public sealed record TemplateSegment(string Text, int? SiteLiteral = null);

/// <summary>An added line: indentation relative to the site's first matched line (in columns, a tab counting 4), then its segments.</summary>
public sealed record TemplateLine(int IndentDelta, IReadOnlyList<TemplateSegment> Segments);

/// <summary>
/// One hunk: the shapes (whitespace and literals folded) that must match consecutive significant lines of the target,
/// and what replaces them. With an anchor (pure insertion) the anchor stays and the added lines go after it
/// (<see cref="AnchorPrecedes"/>) or before it.
/// </summary>
public sealed record TemplateHunk(
    IReadOnlyList<string> AnchorShapes,
    bool AnchorPrecedes,
    IReadOnlyList<string> RemovedShapes,
    IReadOnlyList<TemplateLine> Added)
{
    /// <summary>The shapes a site must have.</summary>
    public IReadOnlyList<string> MatchShapes => AnchorShapes.Count > 0 ? AnchorShapes : RemovedShapes;
}

/// <summary>
/// The applicable form of a catalogued pattern, derived from its normalised diff. Literals of the "before" side are
/// wildcards; a literal in an added line that equals one of the "before" literals refers to it (so the target site's
/// own value is kept), any other literal is the value the pattern introduced. Stored alongside the pattern as JSON.
/// </summary>
public sealed record PatternTemplate(IReadOnlyList<TemplateHunk> Hunks)
{
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public const int TabWidth = 4;

    public static PatternTemplate From(NormalizedDiff diff) => new(diff.Hunks.Select(FromHunk).ToArray());

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static PatternTemplate FromJson(string json) =>
        JsonSerializer.Deserialize<PatternTemplate>(json, JsonOptions) ?? throw new JsonException("Empty pattern template.");

    public static int IndentWidth(string indentation) => indentation.Sum(c => c == '\t' ? TabWidth : 1);

    private static TemplateHunk FromHunk(NormalizedHunk hunk)
    {
        var matched = hunk.Anchor.Count > 0 ? hunk.Anchor : hunk.Removed;
        var siteLiterals = matched.SelectMany(l => l.Tokens).Where(t => t.IsLiteral).Select(t => t.Text).ToList();
        var referenceIndent = matched.Count > 0 ? IndentWidth(matched[0].Indentation) : 0;
        var added = hunk.Added.Select(line => FromAddedLine(line, siteLiterals, referenceIndent)).ToArray();
        return new TemplateHunk(
            hunk.Anchor.Select(l => l.Shape).ToArray(),
            hunk.AnchorPrecedes,
            hunk.Removed.Select(l => l.Shape).ToArray(),
            added);
    }

    private static TemplateLine FromAddedLine(NormalizedLine line, List<string> siteLiterals, int referenceIndent)
    {
        var segments = new List<TemplateSegment>();
        var position = line.Indentation.Length;
        var raw = line.Raw.TrimEnd();
        foreach (var token in line.Tokens.Where(t => t.IsLiteral))
        {
            if (token.Start > position)
                segments.Add(new TemplateSegment(raw[position..token.Start]));
            var kept = siteLiterals.IndexOf(token.Text);
            segments.Add(kept >= 0 ? new TemplateSegment(token.Text, kept) : new TemplateSegment(token.Text));
            position = token.Start + token.Text.Length;
        }
        if (position < raw.Length)
            segments.Add(new TemplateSegment(raw[position..]));
        return new TemplateLine(IndentWidth(line.Indentation) - referenceIndent, segments);
    }
}
