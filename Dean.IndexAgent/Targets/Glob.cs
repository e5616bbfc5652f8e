using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace Dean.IndexAgent.Targets;

/// <summary>Path globs of <c>dean.json</c>: <c>*</c> and <c>?</c> within a segment, <c>**</c> across segments.</summary>
public static class Glob
{
    private static readonly ConcurrentDictionary<string, Regex> Cache = new();

    public static bool IsMatch(string glob, string path) => Cache.GetOrAdd(glob, ToRegex).IsMatch(path.Replace('\\', '/'));

    public static bool MatchesAny(IEnumerable<string> globs, string path) => globs.Any(g => IsMatch(g, path));

    private static Regex ToRegex(string glob)
    {
        var pattern = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                var slash = i + 2 < glob.Length && glob[i + 2] == '/';
                pattern.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (c == '*') pattern.Append("[^/]*");
            else if (c == '?') pattern.Append("[^/]");
            else pattern.Append(Regex.Escape(c.ToString()));
        }
        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
