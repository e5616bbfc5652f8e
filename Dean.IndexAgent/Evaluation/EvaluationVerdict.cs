using Dean.Contracts.IndexAgent;
using System.Text.Json;

namespace Dean.IndexAgent.Evaluation;

/// <summary>How an evaluation ended, the <c>result</c> label of <c>dean_evaluations_total</c>.</summary>
public enum EvaluationResult { Passed, Failed, Invalid, Timeout, Error }

/// <summary>The evaluator's judgement of one worktree (DESIGN section 2).</summary>
public sealed record EvaluationVerdict(
    EvaluationResult Result,
    double? Score,
    JsonElement? Metrics,
    string? Feedback,
    string? Reason,
    int? ExitCode,
    long DurationMs,
    IReadOnlyList<StageResult>? Stages = null)
{
    public bool Passed => Result == EvaluationResult.Passed;

    /// <summary>
    /// Reads the evaluator's last stdout line: a JSON object with the score (<paramref name="scoreKey"/>, or
    /// <c>score</c> then <c>combined_score</c>), <c>passed</c> (missing = exit code 0), <c>metrics</c>, <c>feedback</c>.
    /// </summary>
    public static EvaluationVerdict FromProcess(ProcessOutcome outcome, string? scoreKey)
    {
        var ms = (long)outcome.Duration.TotalMilliseconds;
        if (outcome.TimedOut)
            return new(EvaluationResult.Timeout, null, null, null, $"evaluator timed out after {outcome.Timeout.TotalSeconds:0.#} s and was killed", null, ms);
        if (outcome.StartError is not null)
            return new(EvaluationResult.Error, null, null, null, $"evaluator could not start: {outcome.StartError}", null, ms);

        var lastLine = outcome.Stdout.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);
        JsonElement? root = null;
        if (lastLine is not null)
        {
            try
            {
                using var document = JsonDocument.Parse(lastLine);
                if (document.RootElement.ValueKind == JsonValueKind.Object) root = document.RootElement.Clone();
            }
            catch (JsonException)
            {
            }
        }
        if (root is not { } json)
        {
            var reason = outcome.ExitCode != 0
                ? $"evaluator exited with code {outcome.ExitCode}{Tail(outcome.Stderr)}"
                : "evaluator's last stdout line is not a JSON object";
            return new(outcome.ExitCode != 0 ? EvaluationResult.Failed : EvaluationResult.Invalid, null, null, null, reason, outcome.ExitCode, ms);
        }

        var feedback = json.TryGetProperty("feedback", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        JsonElement? metrics = json.TryGetProperty("metrics", out var m) && m.ValueKind == JsonValueKind.Object ? m : null;
        double? score = null;
        foreach (var key in scoreKey is null ? new[] { "score", "combined_score" } : [scoreKey])
        {
            if (json.TryGetProperty(key, out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetDouble(out var value) && double.IsFinite(value))
            {
                score = value;
                break;
            }
        }
        var passed = json.TryGetProperty("passed", out var p) && p.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? p.GetBoolean()
            : outcome.ExitCode == 0;

        if (outcome.ExitCode != 0)
            return new(EvaluationResult.Failed, score, metrics, feedback, $"evaluator exited with code {outcome.ExitCode}" + (feedback is null ? "" : $": {feedback}"), outcome.ExitCode, ms);
        if (!passed)
            return new(EvaluationResult.Failed, score, metrics, feedback, "evaluator reported passed: false" + (feedback is null ? "" : $": {feedback}"), outcome.ExitCode, ms);
        if (score is null)
            return new(EvaluationResult.Invalid, null, metrics, feedback, $"evaluator's JSON has no numeric '{scoreKey ?? "score"}'", outcome.ExitCode, ms);
        return new(EvaluationResult.Passed, score, metrics, feedback, null, outcome.ExitCode, ms);
    }

    /// <summary>Several runs of one candidate: the first that did not pass, else the run with the median score; durations add up.</summary>
    public static EvaluationVerdict Median(IReadOnlyList<EvaluationVerdict> runs)
    {
        if (runs.Count == 0) throw new ArgumentException("At least one run is needed.", nameof(runs));
        var total = runs.Sum(r => r.DurationMs);
        var decisive = runs.FirstOrDefault(r => !r.Passed) ?? runs.OrderBy(r => r.Score!.Value).ElementAt((runs.Count - 1) / 2);
        return decisive with { DurationMs = total };
    }

    private static string Tail(string stderr)
    {
        var text = stderr.Trim();
        if (text.Length == 0) return "";
        return ": " + (text.Length > 300 ? "…" + text[^300..] : text);
    }
}
