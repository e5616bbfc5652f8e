using Dean.IndexAgent.Patterns;
using FsCheck.Xunit;

namespace Dean.Tests.Patterns;

public sealed class PatternRoundTripTests
{
    // Small programs of distinct-looking lines and one random edit of the kinds the built-in operator makes.
    private static (string Before, string After) RandomEdit(Random random)
    {
        var names = new[] { "alpha", "beta", "gamma", "delta", "eps" };
        var lines = Enumerable.Range(0, random.Next(1, 7))
            .Select(i => random.Next(3) switch
            {
                0 => $"{names[i % names.Length]}{i} = {random.Next(100)}",
                1 => $"if {names[i % names.Length]} < {random.Next(10)}.5:",
                _ => $"    call(\"{names[random.Next(names.Length)]}\", {random.Next(5)})",
            })
            .ToList();
        var before = string.Join('\n', lines) + "\n";
        var edited = lines.ToList();
        var at = random.Next(edited.Count);
        switch (random.Next(4))
        {
            case 0: edited[at] = edited[at].Replace(edited[at].Trim().Split(' ')[^1], $"{random.Next(100, 200)}"); break;
            case 1: edited[at] = edited[at].Contains('<') ? edited[at].Replace("<", ">=") : edited[at] + "  # note"; break;
            case 2: edited.Insert(at, $"extra{at} = {random.Next(9)}"); break;
            default: if (edited.Count > 1) edited.RemoveAt(at); else edited.Add("tail = 1"); break;
        }
        return (before, string.Join('\n', edited) + "\n");
    }

    [Property(MaxTest = 300)]
    public bool A_pattern_applied_to_the_file_it_came_from_reproduces_the_same_change(int seed)
    {
        var (before, after) = RandomEdit(new Random(seed));
        var diff = DiffNormalizer.Normalize(before, after);
        if (diff.IsEmpty) return true; // a whitespace-only or comment-free no-op is not a pattern

        var application = PatternApplier.Apply(PatternTemplate.From(diff), before);

        return application.Applied && DiffNormalizer.Normalize(before, application.Text).Text == diff.Text;
    }

    [Fact]
    public void A_multi_file_unified_diff_normalises_each_file_in_order()
    {
        const string unified = """
            diff --git a/a.py b/a.py
            --- a/a.py
            +++ b/a.py
            @@ -1,2 +1,2 @@
            -x = 1
            +x = 2
             y = 3
            diff --git a/b.py b/b.py
            --- a/b.py
            +++ b/b.py
            @@ -4,1 +4,2 @@
             z = 1
            +w = z * 2
            \ No newline at end of file
            """;

        Assert.Equal("@@\n- x = <NUM>\n+ x = <NUM>\n@@\n  z = <NUM>\n+ w = z * <NUM>\n", DiffNormalizer.NormalizeUnifiedDiff(unified).Text);
    }
}
