using Dean.IndexAgent.Patterns;

namespace Dean.Tests.IndexAgent;

public sealed class ThreeWayMergeTests
{
    private static readonly string[] Ancestor = ["a = 1", "b = 2", "c = 3", "d = 4", "e = 5"];

    [Fact]
    public void Each_sides_changes_are_told_apart_and_merge_into_one_version()
    {
        string[] mine = ["a = 1", "b = 20", "c = 3", "d = 4", "e = 5", "f = 6"];
        string[] theirs = ["a = 10", "b = 2", "c = 3", "e = 5"];
        var merge = new ThreeWayMerge(Ancestor, mine, theirs);

        // a changed by theirs, b by mine, d deleted by theirs, f appended by mine.
        Assert.Equal(4, merge.Chunks.Count);
        Assert.Equal([true, false, true, false], merge.Chunks.Select(c => c.TheirsOnly));
        Assert.All(merge.Chunks, c => Assert.False(c.Conflict));

        Assert.Equal(mine, merge.Merge(new HashSet<int>()));
        var theirsChanges = Enumerable.Range(0, merge.Chunks.Count).Where(i => merge.Chunks[i].TheirsOnly).ToHashSet();
        Assert.Equal(["a = 10", "b = 20", "c = 3", "e = 5", "f = 6"], merge.Merge(theirsChanges));
        Assert.Equal(["a = 10", "b = 20", "c = 3", "d = 4", "e = 5", "f = 6"], merge.Merge(new HashSet<int> { 0 }));
    }

    [Fact]
    public void A_line_both_sides_changed_differently_is_a_conflict_and_the_same_change_is_not()
    {
        string[] mine = ["a = 1", "b = 20", "c = 30", "d = 4", "e = 5"];
        string[] theirs = ["a = 1", "b = 21", "c = 30", "d = 4", "e = 5"];
        var merge = new ThreeWayMerge(Ancestor, mine, theirs);

        // b: both changed it, differently; c: both made the same change.
        Assert.Equal(2, merge.Chunks.Count);
        Assert.True(merge.Chunks[0].Conflict);
        Assert.False(merge.Chunks[0].TheirsOnly);
        Assert.Equal(["b = 2"], merge.Chunks[0].Ancestor);
        Assert.False(merge.Chunks[1].Conflict || merge.Chunks[1].TheirsOnly);
        Assert.Equal(theirs, merge.Merge(new HashSet<int> { 0 }));

        var same = new ThreeWayMerge(Ancestor, mine, mine);
        Assert.All(same.Chunks, c => Assert.False(c.Conflict || c.TheirsOnly));
    }

    [Fact]
    public void Neighbouring_lines_rewritten_one_for_one_are_separate_changes()
    {
        string[] mine = ["a = 1", "b = 20", "c = 30", "d = 40", "e = 5"];
        string[] theirs = ["a = 1", "b = 21", "c = 3", "d = 41", "e = 5"];
        var merge = new ThreeWayMerge(Ancestor, mine, theirs);

        Assert.Equal(3, merge.Chunks.Count);
        Assert.Equal([true, false, true], merge.Chunks.Select(c => c.Conflict));
        Assert.Equal(["a = 1", "b = 21", "c = 30", "d = 4", "e = 5"],
            new ThreeWayMerge(Ancestor, ["a = 1", "b = 2", "c = 30", "d = 4", "e = 5"], ["a = 1", "b = 21", "c = 3", "d = 4", "e = 5"]).Merge(new HashSet<int> { 0 }));
    }

    [Fact]
    public void Identical_versions_have_no_chunks()
    {
        var merge = new ThreeWayMerge(Ancestor, Ancestor, Ancestor);
        Assert.Empty(merge.Chunks);
        Assert.Equal(Ancestor, merge.Merge(new HashSet<int>()));
        Assert.Equal(["x"], new ThreeWayMerge([], ["x"], []).Merge(new HashSet<int>()));
        Assert.Equal(["y"], new ThreeWayMerge([], ["x"], ["y"]).Merge(new HashSet<int> { 0 }));
    }
}
