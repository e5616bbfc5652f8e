using System.Diagnostics;
using System.Diagnostics.Metrics;
using Dean.IndexAgent.Evaluation;
using Dean.ServiceDefaults.Metrics;

namespace Dean.IndexAgent;

/// <summary>IndexAgent's instruments on the shared <c>Dean</c> meter (exported as Prometheus series from start-up).</summary>
public sealed class IndexAgentMetrics
{
    private readonly Counter<long> _evaluations;
    private readonly Histogram<double> _evaluationDuration;
    private long _activeAgents;

    public IndexAgentMetrics(DeanMeters meters)
    {
        var meter = meters.Meter;
        // An observable gauge keeps its name as exported: dean_agents_active_total (no unit, so no suffix).
        meter.CreateObservableGauge("dean_agents_active_total", () => Interlocked.Read(ref _activeAgents), description: "Agents whose status is active");
        _evaluations = meter.CreateCounter<long>("dean_evaluations", description: "Evaluator runs by result");
        _evaluationDuration = meter.CreateHistogram<double>("dean_evaluation_duration", unit: "s", description: "Evaluator run time",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600] });
        // Every result series exists from start-up, at zero (DESIGN section 12).
        foreach (var result in Enum.GetValues<EvaluationResult>()) _evaluations.Add(0, Tag(result));
    }

    public void SetActiveAgents(long count) => Interlocked.Exchange(ref _activeAgents, count);

    public void RecordEvaluation(EvaluationResult result, TimeSpan duration)
    {
        _evaluations.Add(1, Tag(result));
        _evaluationDuration.Record(duration.TotalSeconds, Tag(result));
    }

    private static TagList Tag(EvaluationResult result) => new() { { "result", result.ToString().ToLowerInvariant() } };
}
