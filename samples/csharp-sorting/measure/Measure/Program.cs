using System.Globalization;
using System.Text.Json;
using Sorting;

// The measured property: comparisons per element on fixed inputs (deterministic, unlike wall time).
// score = -(comparisons / (n log2 n)), so fewer comparisons score higher.
var inputs = new List<int[]>();
for (var seed = 1; seed <= 12; seed++)
{
    var rng = new Random(seed);
    inputs.Add(Enumerable.Range(0, 5000).Select(_ => rng.Next(0, 100_000)).ToArray());
}
inputs.Add(Enumerable.Range(0, 3000).ToArray());
inputs.Add(Enumerable.Range(0, 3000).Select(i => i % 17).ToArray());

var counter = new CountingComparer();
double normalised = 0;
foreach (var input in inputs)
{
    counter.Count = 0;
    var copy = (int[])input.Clone();
    HybridSorter.Sort(copy, counter);
    normalised += counter.Count / (input.Length * Math.Log2(input.Length));
}
normalised /= inputs.Count;
Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["score"] = Math.Round(-normalised, 6),
    ["passed"] = true,
    ["metrics"] = new Dictionary<string, double> { ["comparisons_per_n_log_n"] = Math.Round(normalised, 6) },
    ["feedback"] = string.Create(CultureInfo.InvariantCulture, $"{normalised:F4} comparisons per n log2 n over {inputs.Count} inputs"),
}));

sealed class CountingComparer : IComparer<int>
{
    public long Count;

    public int Compare(int x, int y)
    {
        Count++;
        return x.CompareTo(y);
    }
}
