using System.Diagnostics.Metrics;
using Dean.ServiceDefaults.Metrics;

namespace Dean.Orchestrator.Evolution;

/// <summary><c>dean_evolution_cycles_total{status}</c> and the progress of running cycles.</summary>
public sealed class CycleMetrics
{
    private readonly Counter<long> _cycles;
    private readonly Counter<long> _generations;
    private readonly Counter<long> _steps;
    private int _running;
    private double _lastBestScore;

    public CycleMetrics(DeanMeters meters)
    {
        var meter = meters.Meter;
        _cycles = meter.CreateCounter<long>("dean_evolution_cycles", description: "Evolution cycles by the status they reached");
        _generations = meter.CreateCounter<long>("dean_evolution_generations", description: "Completed generations of all cycles");
        _steps = meter.CreateCounter<long>("dean_evolution_steps", description: "Agent evolution steps driven by cycles, by outcome");
        meter.CreateObservableGauge("dean_evolution_cycles_running", () => Volatile.Read(ref _running), description: "Cycles running in this orchestrator");
        meter.CreateObservableGauge("dean_evolution_best_score", () => Volatile.Read(ref _lastBestScore), description: "Best score of the last completed generation");
        foreach (var status in CycleStatus.All) _cycles.Add(0, new KeyValuePair<string, object?>("status", status));
        foreach (var outcome in new[] { "accepted", "rejected" }) _steps.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        _generations.Add(0);
    }

    public void CycleStarted() => Interlocked.Increment(ref _running);

    public void CycleLeft() => Interlocked.Decrement(ref _running);

    public void CycleEnded(string status) => _cycles.Add(1, new KeyValuePair<string, object?>("status", status));

    public void Step(bool accepted) => _steps.Add(1, new KeyValuePair<string, object?>("outcome", accepted ? "accepted" : "rejected"));

    public void GenerationCompleted(double? bestScore)
    {
        _generations.Add(1);
        if (bestScore is { } best) Volatile.Write(ref _lastBestScore, best);
    }
}
