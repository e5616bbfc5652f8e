using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evolution;

namespace Dean.Tests.Evolution;

/// <summary>Random genomes for property tests, including ones with adopted patterns and boundary traits.</summary>
internal static class GenomeGenerators
{
    public static Genome Any(Random random, MutationRateRange? range = null)
    {
        var bounds = range ?? MutationRateRange.Default;
        double Trait() => random.Next(10) switch { 0 => 0.0, 1 => 1.0, _ => random.NextDouble() };
        var strategies = Genome.Vocabulary.Where(_ => random.Next(2) == 0).ToList();
        for (var p = random.Next(3); p > 0; p--)
            strategies.Add(GenomeOperations.PatternStrategy($"pattern_{random.Next(1, 6):D3}"));
        if (strategies.Count == 0) strategies.Add(Genome.Simplify);
        var rate = bounds.Min + random.NextDouble() * (bounds.Max - bounds.Min);
        return new Genome(new Traits(Trait(), Trait(), Trait(), Trait()), GenomeOperations.CanonicalStrategies(strategies), rate);
    }
}
