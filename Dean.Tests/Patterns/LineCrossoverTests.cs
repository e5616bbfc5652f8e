using Dean.IndexAgent.Patterns;
using FsCheck.Xunit;

namespace Dean.Tests.Patterns;

public sealed class LineCrossoverTests
{
    [Property(MaxTest = 300)]
    public bool Child_takes_every_line_from_a_parent_and_keeps_common_lines(int seed)
    {
        var random = new Random(seed);
        string Version() => string.Join('\n', Enumerable.Range(0, random.Next(0, 12)).Select(_ => $"v{random.Next(6)}")) + "\n";
        var first = Version();
        var second = Version();

        var child = LineDiff.SplitLines(LineCrossover.Combine(first, second, random));

        var firstLines = LineDiff.SplitLines(first);
        var secondLines = LineDiff.SplitLines(second);
        var common = LineDiff.Compute(firstLines, secondLines).Where(l => l.Operation == DiffOperation.Equal).Select(l => l.Text).ToArray();
        return child.All(l => firstLines.Contains(l) || secondLines.Contains(l)) && IsSubsequence(common, child);
    }

    [Fact]
    public void Weight_one_or_zero_reproduces_a_parent_and_a_seed_reproduces_a_child()
    {
        const string first = "a = 1\nb = 2\nc = 3\nd = 4\n";
        const string second = "a = 1\nb = 5\nc = 3\nd = 6\n";

        Assert.Equal(first, LineCrossover.Combine(first, second, new Random(1), firstWeight: 1.0));
        Assert.Equal(second, LineCrossover.Combine(first, second, new Random(1), firstWeight: 0.0));
        Assert.Equal(LineCrossover.Combine(first, second, new Random(8)), LineCrossover.Combine(first, second, new Random(8)));
        var children = Enumerable.Range(0, 50).Select(s => LineCrossover.Combine(first, second, new Random(s))).ToHashSet();
        Assert.Contains("a = 1\nb = 2\nc = 3\nd = 6\n", children); // a real mix of the two
    }

    [Fact]
    public void Lines_outside_the_evolve_block_always_come_from_the_first_version()
    {
        const string first = "header = 1\n# EVOLVE-BLOCK-START\nx = 1\n# EVOLVE-BLOCK-END\nfooter = 1\n";
        const string second = "header = 2\n# EVOLVE-BLOCK-START\nx = 2\n# EVOLVE-BLOCK-END\nfooter = 2\nextra = 2\n";

        var child = LineCrossover.Combine(first, second, new Random(1), firstWeight: 0.0);

        Assert.Equal("header = 1\n# EVOLVE-BLOCK-START\nx = 2\n# EVOLVE-BLOCK-END\nfooter = 1\n", child);
    }

    [Property(MaxTest = 200)]
    public bool Asked_to_differ_the_child_is_never_a_copy_of_the_first_version(int seed)
    {
        var random = new Random(seed);
        const string first = "a = 1\nb = 2\nc = 3\n";
        const string second = "a = 1\nb = 5\nc = 3\nd = 4\n";
        var child = LineCrossover.Combine(first, second, random, firstWeight: 0.95, differFromFirst: true);
        return child != first && LineCrossover.Combine(first, first, random, differFromFirst: true) == first;
    }

    private static bool IsSubsequence(IReadOnlyList<string> needle, IReadOnlyList<string> haystack)
    {
        var j = 0;
        foreach (var line in haystack)
            if (j < needle.Count && line == needle[j]) j++;
        return j == needle.Count;
    }
}
