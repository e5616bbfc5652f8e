using Dean.IndexAgent.Evolution;

namespace Dean.Tests.Evolution;

/// <summary>Random genomes for property tests, including ones with adopted patterns and boundary traits.</summary>
internal static class GenomeGenerators
{
    public static Genome Any(Random random, MutationRateRange? range = null)
    {
        var bounds = range ?? MutationRateRange.Default;
        double Trait() => random.Next(10) switch { 0 => 0.0, 1 => 1.0, _ => random.NextDouble() };
        var strategies = StrategyVocabulary.BaseStrategies.Where(_ => random.Next(2) == 0).ToList();
        for (var p = random.Next(3); p > 0; p--)
            strategies.Add(StrategyVocabulary.ForPattern($"pattern_{random.Next(1, 6):D3}"));
        if (strategies.Count == 0) strategies.Add(StrategyVocabulary.Simplify);
        var rate = bounds.Min + random.NextDouble() * (bounds.Max - bounds.Min);
        return new Genome(new GenomeTraits(Trait(), Trait(), Trait(), Trait()), strategies, rate);
    }
}
