using Dean.Contracts.IndexAgent;
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

    public EvaluationRunner(IOptions<IndexAgentOptions> options, IndexAgentMetrics metrics, ILogger<EvaluationRunner>? logger = null)
    {
        _options = options.Value;
        if (_options.Sandbox == SandboxMode.None)
            logger?.LogWarning("IndexAgent:Sandbox=none: checks and evaluators run without isolation, as this service's user with its network and view of the machine");
        else if (ProcessRunner.Refusal(_options.Sandbox, ProcessRunner.SandboxAvailable) is { } refused)
            logger?.LogError("Evaluations will be refused: {Reason}", refused);
        _metrics = metrics;
        _slots = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentEvaluations));
    }

    /// <summary>
    /// The stages on the worktree (DESIGN section 2), in order: stage i+1 runs only when stage i passed with a score at
    /// least its threshold; one stopped early is rejected as <c>stage_{i}_below_threshold</c> with that stage's metrics.
    /// The last stage runs <see cref="TaskFile.Repeats"/> times for a noisy evaluator: the first failing run decides,
    /// else the run with the median score (its metrics and feedback). The duration is that of every run; the verdict
    /// names the stage it reached and each stage's score and duration.
    /// </summary>
    public async Task<EvaluationVerdict> EvaluateAsync(string worktree, TaskFile task, CancellationToken cancellationToken)
    {
        using var activity = DeanMeters.ActivitySource.StartActivity("evaluate");
        activity?.SetTag("dean.evaluate.command", task.Command);
        await _slots.WaitAsync(cancellationToken);
        try
        {
            var stages = task.StageCommands;
            var results = new List<StageResult>();
            EvaluationVerdict verdict = null!;
            for (var index = 0; index < stages.Count; index++)
            {
                var last = index == stages.Count - 1;
                var runs = new List<EvaluationVerdict>();
                for (var run = 0; run < (last ? Math.Max(1, task.Repeats) : 1); run++)
                {
                    var outcome = await RunAsync(worktree, stages[index].Command, task, cancellationToken);
                    var once = EvaluationVerdict.FromProcess(outcome, task.Score);
                    _metrics.RecordEvaluation(once.Result, outcome.Duration);
                    runs.Add(once);
                    if (!once.Passed) break;
                }
                var stage = EvaluationVerdict.Median(runs);
                results.Add(new StageResult(index + 1, stage.Score, stage.DurationMs));
                verdict = stage with { DurationMs = results.Sum(r => r.DurationMs), Stages = [.. results] };
                if (stages.Count > 1 && !stage.Passed) verdict = verdict with { Reason = $"stage {index + 1}: {stage.Reason}" };
                if (!stage.Passed) break;
                if (!last && stages[index].Threshold is { } threshold && stage.Score < threshold)
                {
                    verdict = verdict with
                    {
                        Result = EvaluationResult.Failed,
                        Reason = $"stage_{index + 1}_below_threshold: {stage.Score} < {threshold}",
                    };
                    break;
                }
            }
            activity?.SetTag("dean.evaluate.result", verdict.Result.ToString().ToLowerInvariant());
            if (!verdict.Passed) activity?.SetStatus(ActivityStatusCode.Error, verdict.Reason);
            return verdict;
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>
    /// The validity gate before the evaluator (DESIGN section 2): the task's <c>check</c> command, or, when it has none,
    /// a parse of the changed Python files. Not an evaluation: it takes no evaluation slot and is not counted as one.
    /// </summary>
    /// <param name="changes">The candidate's files (path → content); <paramref name="originals"/> what they were.</param>
    public async Task<GateVerdict> CheckAsync(string worktree, TaskFile task, IReadOnlyDictionary<string, string> changes, IReadOnlyDictionary<string, string> originals,
        CancellationToken cancellationToken)
    {
        var command = task.Check ?? ValidityGate.PythonParseCommand(changes, originals);
        if (command is null) return GateVerdict.NotChecked;
        using var activity = DeanMeters.ActivitySource.StartActivity("check");
        var outcome = await RunAsync(worktree, command, task, cancellationToken);
        var verdict = ValidityGate.Judge(outcome, builtIn: task.Check is null);
        if (!verdict.Passed) activity?.SetStatus(ActivityStatusCode.Error, verdict.Message);
        return verdict;
    }

    /// <summary>One of the task's commands, under its timeout, limits and network, in this service's sandbox.</summary>
    private Task<ProcessOutcome> RunAsync(string worktree, string command, TaskFile task, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync(worktree, command, TimeSpan.FromSeconds(task.TimeoutSeconds), _options.OutputCapBytes, cancellationToken,
            task.Rules, _options.Sandbox);
}
