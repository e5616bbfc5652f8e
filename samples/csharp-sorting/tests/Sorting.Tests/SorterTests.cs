using Sorting;

namespace Sorting.Tests;

/// <summary>The gate: whatever an agent changes, the sorter must still sort every kind of input.</summary>
public class SorterTests
{
    public static TheoryData<string, int[]> Inputs()
    {
        var data = new TheoryData<string, int[]>
        {
            { "empty", [] },
            { "one", [42] },
            { "two", [2, 1] },
            { "equal", Enumerable.Repeat(7, 50).ToArray() },
            { "sorted", Enumerable.Range(0, 300).ToArray() },
            { "reversed", Enumerable.Range(0, 300).Reverse().ToArray() },
            { "organ-pipe", Enumerable.Range(0, 150).Concat(Enumerable.Range(0, 150).Reverse()).ToArray() },
        };
        for (var seed = 1; seed <= 20; seed++)
        {
            var rng = new Random(seed);
            data.Add($"random-{seed}", Enumerable.Range(0, rng.Next(0, 2000)).Select(_ => rng.Next(-1000, 1000)).ToArray());
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Sorts_every_input(string name, int[] input)
    {
        var expected = input.Order().ToArray();
        var actual = (int[])input.Clone();
        HybridSorter.Sort(actual, Comparer<int>.Default);
        Assert.True(expected.SequenceEqual(actual), $"{name} is not sorted");
    }
}
