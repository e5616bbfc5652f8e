using Dean.IndexAgent.Patterns;

namespace Dean.Tests.Patterns;

public sealed class PatternTests
{
    private const string ProgramA = """
        import math

        def step(x):
            rate = 0.5
            if x < 10:
                return x * rate
            return x - 1
        """;

    private const string ProgramAImproved = """
        import math

        def step(x):
            rate = 0.5
            if x <= 10:
                return x * rate
            return x - 1
        """;

    // A different file: other surrounding code, other literal values, other whitespace.
    private const string ProgramB = """
        def other():
            pass

        def step(x):
            rate=0.25
            if x<42:
                return x*rate
            return   x - 3
        """;

    private const string ProgramBImproved = """
        def other():
            pass

        def step(x):
            rate=0.25
            if x  <=  42:
                return x*rate
            return   x - 3
        """;

    [Fact]
    public void Pattern_hash_is_stable_under_whitespace_and_literal_changes()
    {
        var first = DiffNormalizer.Normalize(ProgramA, ProgramAImproved);
        var second = DiffNormalizer.Normalize(ProgramB, ProgramBImproved);

        Assert.Equal("@@\n- if x < <NUM> :\n+ if x <= <NUM> :\n", first.Text);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(PatternHasher.Hash(first), PatternHasher.Hash(second));
        Assert.Matches("^[0-9a-f]{64}$", PatternHasher.Hash(first));
    }

    [Fact]
    public void Different_changes_have_different_hashes()
    {
        var comparison = DiffNormalizer.Normalize("if x < 1:\n", "if x <= 1:\n");
        var otherComparison = DiffNormalizer.Normalize("if x < 1:\n", "if x > 1:\n");
        var otherVariable = DiffNormalizer.Normalize("if y < 1:\n", "if y <= 1:\n");

        Assert.NotEqual(PatternHasher.Hash(comparison), PatternHasher.Hash(otherComparison));
        Assert.NotEqual(PatternHasher.Hash(comparison), PatternHasher.Hash(otherVariable));
    }

    [Fact]
    public void String_literals_are_folded_too_and_whitespace_only_edits_vanish()
    {
        var first = DiffNormalizer.Normalize("log(\"a b\", 1)\n", "log ( \"a b\" , 1 , True )\n");
        var second = DiffNormalizer.Normalize("log('other',  7)\n", "log('other', 7, True)\n");

        Assert.Equal("@@\n- log ( <STR> , <NUM> )\n+ log ( <STR> , <NUM> , True )\n", first.Text);
        Assert.Equal(PatternHasher.Hash(first), PatternHasher.Hash(second));
        Assert.True(DiffNormalizer.Normalize("a = 1\nb = 2\n", "a  =  1\n\n\n    b = 2\n").IsEmpty);
    }

    [Fact]
    public void A_unified_diff_normalises_like_the_two_versions()
    {
        const string unified = """
            diff --git a/program.py b/program.py
            index 1111111..2222222 100644
            --- a/program.py
            +++ b/program.py
            @@ -3,5 +3,5 @@ import math
             def step(x):
                 rate = 0.5
            -    if x < 10:
            +    if x <= 10:
                     return x * rate
                 return x - 1
            """;

        Assert.Equal(DiffNormalizer.Normalize(ProgramA, ProgramAImproved).Text, DiffNormalizer.NormalizeUnifiedDiff(unified).Text);
    }

    [Fact]
    public void A_pure_insertion_keeps_one_anchor_line()
    {
        var diff = DiffNormalizer.Normalize("a = 1\nb = 2\n", "a = 1\nc = a * 3\nb = 2\n");
        Assert.Equal("@@\n  a = <NUM>\n+ c = a * <NUM>\n", diff.Text);
    }

    [Fact]
    public void The_same_change_found_twice_is_one_pattern_with_reuse_2()
    {
        var catalog = new PatternCatalog();
        var day = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

        var first = catalog.Observe(Discovery(DiffNormalizer.Normalize(ProgramA, ProgramAImproved), "agent_001", 0.2, day));
        var second = catalog.Observe(Discovery(DiffNormalizer.Normalize(ProgramB, ProgramBImproved), "agent_002", 0.4, day.AddDays(1)));

        Assert.True(first.IsNew);
        Assert.False(second.IsNew);
        var pattern = Assert.Single(catalog.Patterns);
        Assert.Equal("pattern_001", pattern.Id);
        Assert.Equal(2, pattern.UsageCount);
        Assert.Equal(0.3, pattern.Effectiveness, 12);
        Assert.Equal(2.0 / 3, pattern.Confidence, 12);
        Assert.Equal("agent_001", pattern.DiscoveredBy);
        Assert.Equal(day, pattern.DiscoveredAt);
        Assert.Equal(day.AddDays(1), pattern.LastUsedAt);
        Assert.Same(pattern, catalog.Find("pattern_001"));
    }

    [Fact]
    public void Archive_selects_old_patterns_with_usage_below_the_minimum()
    {
        var catalog = new PatternCatalog();
        var now = new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);
        catalog.Observe(Discovery(DiffNormalizer.Normalize("a = 1\n", "a = 2\n"), "agent_001", 0.1, now.AddDays(-40)));
        catalog.Observe(Discovery(DiffNormalizer.Normalize("b = 1\n", "b = 2\n"), "agent_001", 0.1, now.AddDays(-40)));
        catalog.Observe(Discovery(DiffNormalizer.Normalize("b = 3\n", "b = 4\n"), "agent_002", 0.1, now.AddDays(-39)));
        catalog.Observe(Discovery(DiffNormalizer.Normalize("c = 1\n", "c = 2\n"), "agent_001", 0.1, now.AddDays(-2)));

        var archived = catalog.Archive(now, olderThanDays: 30, minUsage: 2);

        Assert.Equal(new[] { "pattern_001" }, archived); // pattern_002 was reused, pattern_003 is recent
        Assert.True(catalog.Find("pattern_001")!.Archived);
        Assert.Empty(catalog.Archive(now, 30, 2)); // already archived
    }

    [Fact]
    public void A_pattern_applies_to_a_different_file_with_different_literals()
    {
        var pattern = PatternTemplate.FromJson(PatternTemplate.From(DiffNormalizer.Normalize(ProgramA, ProgramAImproved)).ToJson());

        var application = PatternApplier.Apply(pattern, ProgramB);

        Assert.True(application.Applied, application.Reason);
        Assert.Equal(ProgramB.Replace("    if x<42:", "    if x <= 42:"), application.Text); // the site keeps its own 42
        Assert.Equal(new[] { 5 }, application.SiteLines);
        Assert.Equal(DiffNormalizer.Normalize(ProgramA, ProgramAImproved).Text, DiffNormalizer.Normalize(ProgramB, application.Text).Text);
    }

    [Fact]
    public void An_introduced_literal_is_carried_over_and_indentation_follows_the_site()
    {
        const string before = "def f():\n    total = 0\n    for i in range(10):\n        total += i\n";
        const string after = "def f():\n    total = 0\n    for i in range(10):\n        if i % 3 == 0:\n            continue\n        total += i\n";
        var pattern = PatternTemplate.From(DiffNormalizer.Normalize(before, after));
        const string target = "class K:\n\tdef g(self):\n\t\tfor i in range(99):\n\t\t\ttotal += i\n";

        var application = PatternApplier.Apply(pattern, target);

        Assert.True(application.Applied, application.Reason);
        Assert.Equal("class K:\n\tdef g(self):\n\t\tfor i in range(99):\n\t\t\tif i % 3 == 0:\n\t\t\t\tcontinue\n\t\t\ttotal += i\n", application.Text);
    }

    [Fact]
    public void A_tuned_constant_takes_the_pattern_value_and_a_site_already_tuned_is_skipped()
    {
        var pattern = PatternTemplate.From(DiffNormalizer.Normalize("rate = 0.5\n", "rate = 0.75\n"));

        Assert.Equal("x = 1\nrate = 0.75\n", PatternApplier.Apply(pattern, "x = 1\nrate = 3\n").Text);
        var alreadyTuned = PatternApplier.Apply(pattern, "rate = 0.75\n");
        Assert.False(alreadyTuned.Applied);
        Assert.Equal("rate = 0.75\n", alreadyTuned.Text);
        Assert.False(PatternApplier.Apply(pattern, "speed = 3\n").Applied);
    }

    [Fact]
    public void Swapped_literals_are_swapped_at_the_site()
    {
        var pattern = PatternTemplate.From(DiffNormalizer.Normalize("clamp(v, 1, 9)\n", "clamp(v, 9, 1)\n"));
        Assert.Equal("clamp(v, 100, 2)\n", PatternApplier.Apply(pattern, "clamp(v, 2, 100)\n").Text);
    }

    [Fact]
    public void A_pattern_found_across_two_files_applies_to_whichever_files_have_its_sites()
    {
        var diff = DiffNormalizer.Normalize([("a = 1\n", "a = 2\n"), ("if b < 3:\n", "if b <= 3:\n")]);
        var pattern = PatternTemplate.From(diff);
        var files = new Dictionary<string, string>
        {
            ["one.py"] = "if b < 8:\n    pass\n",
            ["two.py"] = "print(1)\n",
            ["three.py"] = "a = 7\n",
        };

        var (changed, reason) = PatternApplier.Apply(pattern, files);

        Assert.Null(reason);
        Assert.Equal(new Dictionary<string, string> { ["one.py"] = "if b <= 8:\n    pass\n", ["three.py"] = "a = 2\n" }, changed);
        Assert.NotNull(PatternApplier.Apply(pattern, new Dictionary<string, string> { ["three.py"] = "a = 7\n" }).Reason);
    }

    [Theory]
    [InlineData("x = 1\n", "x = 2\n", false, null, PatternTypes.Behavioral)]
    [InlineData("if a < b:\n", "if a > b:\n", false, null, PatternTypes.Behavioral)]
    [InlineData("a = 1\nb = 2\n", "b = 2\na = 1\n", false, null, PatternTypes.Structural)]
    [InlineData("x = f(a)\n", "x = g(a)\n", false, null, PatternTypes.Structural)]
    [InlineData("x = 1\n", "x = 2\n", false, "time_ms", PatternTypes.Optimization)]
    [InlineData("x = 1\n", "x = 2\n", true, "time_ms", PatternTypes.Emergent)]
    public void Classifier_follows_design_section_7(string before, string after, bool crossover, string? timedMetric, string expected)
    {
        var evidence = new PatternEvidence(
            DiffNormalizer.Normalize(before, after),
            crossover,
            timedMetric is null ? null : new Dictionary<string, double> { [timedMetric] = 12.0, ["items"] = 3 },
            timedMetric is null ? null : new Dictionary<string, double> { [timedMetric] = 9.0, ["items"] = 1 });
        Assert.Equal(expected, PatternClassifier.Classify(evidence));
    }

    [Fact]
    public void A_metric_getting_worse_or_an_unrelated_metric_is_not_an_optimization()
    {
        Assert.False(PatternClassifier.PerformanceImproved(
            new Dictionary<string, double> { ["latency_ms"] = 5, ["items"] = 10 },
            new Dictionary<string, double> { ["latency_ms"] = 6, ["items"] = 1 }));
        Assert.True(PatternClassifier.PerformanceImproved(
            new Dictionary<string, double> { ["throughput"] = 5 },
            new Dictionary<string, double> { ["throughput"] = 6 }));
        Assert.True(PatternClassifier.PerformanceImproved(
            new Dictionary<string, double> { ["ops_per_call"] = 5 },
            new Dictionary<string, double> { ["ops_per_call"] = 6 }));
        Assert.False(PatternClassifier.PerformanceImproved(
            new Dictionary<string, double> { ["loops"] = 5 },
            new Dictionary<string, double> { ["loops"] = 6 }));
    }

    private static PatternDiscovery Discovery(NormalizedDiff diff, string agent, double gain, DateTimeOffset at) =>
        new(diff, PatternClassifier.Classify(new PatternEvidence(diff)), agent, 1, gain, at);
}
