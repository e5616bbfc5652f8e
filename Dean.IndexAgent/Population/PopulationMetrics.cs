using System.Diagnostics;
using System.Diagnostics.Metrics;
using Dean.IndexAgent.Evolution;
using Dean.IndexAgent.Patterns;
using Dean.ServiceDefaults.Metrics;

namespace Dean.IndexAgent.Population;

/// <summary>Population instruments on the shared <c>Dean</c> meter; every label value exists from start-up at zero.</summary>
public sealed class PopulationMetrics
{
    private readonly Counter<long> _patternsDiscovered;
    private readonly Counter<long> _caRuleFirings;
    // Exported from start-up (DESIGN 12): 0 until the first population is measured.
    private double _diversity;

    public PopulationMetrics(DeanMeters meters)
    {
        var meter = meters.Meter;
        _patternsDiscovered = meter.CreateCounter<long>("dean_patterns_discovered", description: "New patterns catalogued, by type");
        _caRuleFirings = meter.CreateCounter<long>("dean_ca_rule_firings", description: "Cells where a population rule mapped to 1, by rule");
        meter.CreateObservableGauge("dean_population_diversity", ObserveDiversity, description: "The last measured population diversity");
        foreach (var type in PatternTypes.All) _patternsDiscovered.Add(0, new TagList { { "type", type } });
        foreach (var rule in CaRules.Supported) _caRuleFirings.Add(0, new TagList { { "rule", rule.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
    }

    private double ObserveDiversity() => Interlocked.CompareExchange(ref _diversity, 0, 0);

    public void PatternDiscovered(string type) => _patternsDiscovered.Add(1, new TagList { { "type", type } });

    public void RuleFired(int rule, int count)
    {
        if (count > 0) _caRuleFirings.Add(count, new TagList { { "rule", rule.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
    }

    public void Diversity(double value) => Interlocked.Exchange(ref _diversity, value);
}

/// <summary>Creates the instruments at start-up so their zero series are exported before the first step.</summary>
public sealed class PopulationMetricsStartup(PopulationMetrics metrics) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(metrics);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
