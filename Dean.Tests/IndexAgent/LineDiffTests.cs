using Dean.Contracts.IndexAgent;
using Dean.IndexAgent.Operators;

namespace Dean.Tests.IndexAgent;

public sealed class LineDiffTests
{
    [Fact]
    public void Stats_count_added_and_removed_lines()
    {
        Assert.Equal(new DiffStats(1, 1, 1), UnifiedDiff.Stats("a\nb\nc\n", "a\nB\nc\n"));
        Assert.Equal(new DiffStats(1, 2, 0), UnifiedDiff.Stats("a\nc\n", "a\nb\nb2\nc\n"));
        Assert.Equal(DiffStats.Empty, UnifiedDiff.Stats("same", "same"));
    }

    [Fact]
    public void Unified_diff_has_headers_hunks_and_context()
    {
        var before = string.Join('\n', Enumerable.Range(1, 20).Select(i => $"line {i}"));
        var after = before.Replace("line 10", "line ten");
        var diff = UnifiedDiff.Unified("p.py", before, after);
        Assert.StartsWith("--- a/p.py\n+++ b/p.py\n@@ -7,7 +7,7 @@\n", diff);
        Assert.Contains("\n-line 10\n+line ten\n", diff);
        Assert.Contains(" line 13\n", diff);
        Assert.DoesNotContain("line 14", diff);
    }

    [Fact]
    public void Applying_the_diff_entries_reproduces_both_sides()
    {
        var random = new Random(5);
        for (var trial = 0; trial < 200; trial++)
        {
            var a = Enumerable.Range(0, random.Next(0, 15)).Select(_ => ((char)('a' + random.Next(4))).ToString()).ToArray();
            var b = Enumerable.Range(0, random.Next(0, 15)).Select(_ => ((char)('a' + random.Next(4))).ToString()).ToArray();
            var entries = Dean.IndexAgent.Patterns.LineDiff.Compute(a, b);
            Assert.Equal(a, entries.Where(e => e.Operation != Dean.IndexAgent.Patterns.DiffOperation.Insert).Select(e => e.Text));
            Assert.Equal(b, entries.Where(e => e.Operation != Dean.IndexAgent.Patterns.DiffOperation.Delete).Select(e => e.Text));
        }
    }
}
