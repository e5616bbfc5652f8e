namespace Dean.IndexAgent.Operators.Llm;

/// <summary>One SEARCH/REPLACE block of an LLM's answer; <see cref="Path"/> is the file line before it, if any.</summary>
public sealed record SearchReplaceBlock(string? Path, string Search, string Replace);

/// <summary>Parses and applies SEARCH/REPLACE blocks (the format the <c>llm</c> operator asks for).</summary>
public static class SearchReplace
{
    private const string SearchMarker = "<<<<<<< SEARCH";
    private const string Divider = "=======";
    private const string ReplaceMarker = ">>>>>>> REPLACE";

    public static IReadOnlyList<SearchReplaceBlock> Parse(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var blocks = new List<SearchReplaceBlock>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != SearchMarker) continue;
            string? path = null;
            for (var p = i - 1; p >= 0; p--)
            {
                var candidate = lines[p].Trim().Trim('`', '*').Trim();
                if (candidate.Length == 0 || candidate.StartsWith("```", StringComparison.Ordinal)) continue;
                if (candidate != ReplaceMarker && !candidate.Contains(' ')) path = candidate;
                break;
            }
            var search = new List<string>();
            var j = i + 1;
            for (; j < lines.Length && lines[j].Trim() != Divider; j++) search.Add(lines[j]);
            var replace = new List<string>();
            var k = j + 1;
            for (; k < lines.Length && lines[k].Trim() != ReplaceMarker; k++) replace.Add(lines[k]);
            if (j >= lines.Length || k >= lines.Length) break; // an unterminated block is ignored
            blocks.Add(new SearchReplaceBlock(path, string.Join('\n', search), string.Join('\n', replace)));
            i = k;
        }
        return blocks;
    }

    /// <summary>
    /// Applies the blocks to the files (path → content); returns the changed files, or an error naming the block that
    /// did not apply. A block without a known path applies to the one file whose content holds its SEARCH text.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Apply(IReadOnlyDictionary<string, string> files, IReadOnlyList<SearchReplaceBlock> blocks, out string? error)
    {
        error = null;
        var current = new Dictionary<string, string>(files);
        var changed = new HashSet<string>();
        for (var b = 0; b < blocks.Count; b++)
        {
            var block = blocks[b];
            var paths = block.Path is not null && current.ContainsKey(block.Path)
                ? [block.Path]
                : current.Keys.Where(p => Find(current[p], block.Search) is not null).ToList();
            if (paths.Count != 1)
            {
                error = paths.Count == 0
                    ? $"block {b + 1}: SEARCH text not found{(block.Path is null ? "" : $" in {block.Path}")}"
                    : $"block {b + 1}: SEARCH text found in several files; name the file";
                return new Dictionary<string, string>();
            }
            var path = paths[0];
            if (Find(current[path], block.Search) is not { } span)
            {
                error = $"block {b + 1}: SEARCH text not found in {path}";
                return new Dictionary<string, string>();
            }
            current[path] = current[path][..span.Start] + block.Replace + current[path][(span.Start + span.Length)..];
            changed.Add(path);
        }
        return changed.Where(p => current[p] != files[p]).ToDictionary(p => p, p => current[p]);
    }

    /// <summary>The exact text, else the same lines ignoring trailing whitespace.</summary>
    private static (int Start, int Length)? Find(string content, string search)
    {
        if (search.Length == 0) return null;
        var exact = content.IndexOf(search, StringComparison.Ordinal);
        if (exact >= 0) return (exact, search.Length);
        var lines = content.Split('\n');
        var wanted = search.Split('\n').Select(l => l.TrimEnd()).ToArray();
        var offset = 0;
        var offsets = new int[lines.Length + 1];
        for (var i = 0; i < lines.Length; i++) { offsets[i] = offset; offset += lines[i].Length + 1; }
        offsets[lines.Length] = offset;
        for (var i = 0; i + wanted.Length <= lines.Length; i++)
        {
            if (!Enumerable.Range(0, wanted.Length).All(k => lines[i + k].TrimEnd() == wanted[k])) continue;
            var end = offsets[i + wanted.Length] - 1;
            return (offsets[i], Math.Min(end, content.Length) - offsets[i]);
        }
        return null;
    }
}
