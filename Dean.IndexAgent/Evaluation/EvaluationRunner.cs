using System.Diagnostics;
using Dean.IndexAgent.Targets;
using Dean.ServiceDefaults.Metrics;
using Microsoft.Extensions.Options;

namespace Dean.IndexAgent.Evaluation;

/// <summary>
/// Runs a target's evaluator in a worktree: at most <see cref="IndexAgentOptions.MaxConcurrentEvaluations"/> at once,
/// each with the task file's hard timeout and the output cap; records <c>dean_evaluations_total{result}</c> and
/// <c>dean_evaluation_duration_seconds</c>.
/// </summary>
public sealed class EvaluationRunner
{
    private readonly SemaphoreSlim _slots;
    private readonly IndexAgentOptions _options;
    private readonly IndexAgentMetrics _metrics;

    public EvaluationRunner(IOptions<IndexAgentOptions> options, IndexAgentMetrics metrics)
    {
        _options = options.Value;
        _metrics = metrics;
        _slots = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentEvaluations));
    }

    public async Task<EvaluationVerdict> EvaluateAsync(string worktree, TaskFile task, CancellationToken cancellationToken)
    {
        using var activity = DeanMeters.ActivitySource.StartActivity("evaluate");
        activity?.SetTag("dean.evaluate.command", task.Evaluate);
        await _slots.WaitAsync(cancellationToken);
        try
        {
            var outcome = await ProcessRunner.RunAsync(worktree, task.Evaluate, TimeSpan.FromSeconds(task.TimeoutSeconds), _options.OutputCapBytes, cancellationToken);
            var verdict = EvaluationVerdict.FromProcess(outcome, task.Score);
            _metrics.RecordEvaluation(verdict.Result, outcome.Duration);
            activity?.SetTag("dean.evaluate.result", verdict.Result.ToString().ToLowerInvariant());
            if (!verdict.Passed) activity?.SetStatus(ActivityStatusCode.Error, verdict.Reason);
            return verdict;
        }
        finally
        {
            _slots.Release();
        }
    }
}
