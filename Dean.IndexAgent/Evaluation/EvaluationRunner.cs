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
    /// The evaluator on the worktree, <see cref="TaskFile.Repeats"/> times for a noisy one: the first failing run
    /// decides, else the run with the median score (its metrics and feedback), with the duration of all runs.
    /// </summary>
    public async Task<EvaluationVerdict> EvaluateAsync(string worktree, TaskFile task, CancellationToken cancellationToken)
    {
        using var activity = DeanMeters.ActivitySource.StartActivity("evaluate");
        activity?.SetTag("dean.evaluate.command", task.Command);
        await _slots.WaitAsync(cancellationToken);
        try
        {
            var runs = new List<EvaluationVerdict>();
            for (var run = 0; run < Math.Max(1, task.Repeats); run++)
            {
                var outcome = await RunAsync(worktree, task.Command, task, cancellationToken);
                var once = EvaluationVerdict.FromProcess(outcome, task.Score);
                _metrics.RecordEvaluation(once.Result, outcome.Duration);
                runs.Add(once);
                if (!once.Passed) break;
            }
            var verdict = EvaluationVerdict.Median(runs);
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
