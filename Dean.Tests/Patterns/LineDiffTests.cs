using Dean.IndexAgent.Patterns;
using FsCheck.Xunit;

namespace Dean.Tests.Patterns;

public sealed class LineDiffTests
{
    [Property(MaxTest = 300)]
    public bool Edit_script_rebuilds_both_versions_and_is_as_short_as_the_LCS_allows(int seed)
    {
        var random = new Random(seed);
        string[] Lines() => Enumerable.Range(0, random.Next(0, 15)).Select(_ => ((char)('a' + random.Next(4))).ToString()).ToArray();
        var oldLines = Lines();
        var newLines = Lines();

        var script = LineDiff.Compute(oldLines, newLines);

        var rebuiltOld = script.Where(l => l.Operation != DiffOperation.Insert).Select(l => l.Text);
        var rebuiltNew = script.Where(l => l.Operation != DiffOperation.Delete).Select(l => l.Text);
        var changes = script.Count(l => l.Operation != DiffOperation.Equal);
        var minimal = oldLines.Length + newLines.Length - 2 * LongestCommonSubsequence(oldLines, newLines);
        return rebuiltOld.SequenceEqual(oldLines) && rebuiltNew.SequenceEqual(newLines)
            && changes == minimal && LineDiff.ChangedLineCount(oldLines, newLines) == minimal;
    }

    [Fact]
    public void Changed_line_ratio_is_zero_for_identical_and_one_for_disjoint_versions()
    {
        Assert.Equal(0.0, LineDiff.ChangedLineRatio("a\nb\n", "a\nb\n"));
        Assert.Equal(1.0, LineDiff.ChangedLineRatio("a\nb\n", "c\n"));
        Assert.Equal(0.0, LineDiff.ChangedLineRatio("", ""));
        Assert.Equal(1.0 / 7, LineDiff.ChangedLineRatio("a\nb\nc\n", "a\nb\nX\nc\n"), 12); // one insertion among 3 + 4 lines
    }

    // Textbook dynamic programming, independent of the Myers implementation under test.
    private static int LongestCommonSubsequence(string[] a, string[] b)
    {
        var table = new int[a.Length + 1, b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
            table[i, j] = a[i - 1] == b[j - 1] ? table[i - 1, j - 1] + 1 : Math.Max(table[i - 1, j], table[i, j - 1]);
        return table[a.Length, b.Length];
    }
}
