using System.Globalization;
using Dean.Contracts.IndexAgent;
using Dean.IndexAgent.Targets;

namespace Dean.IndexAgent.Evaluation;

/// <summary>
/// The command that runs an OpenEvolve or ShinkaEvolve evaluator unchanged: <c>Evaluation/Peers/dean_peer_runner.py</c>,
/// shipped with the IndexAgent, calls it with the candidate's program and prints DEAN's JSON line; its shims stand in
/// for the peers' packages. The sandbox sees the runner's folder read-only (<see cref="TaskFile.Rules"/>).
/// </summary>
public static class PeerRunner
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Evaluation", "Peers");

    /// <summary>OpenEvolve's cascade thresholds when its config gives none.</summary>
    public static readonly IReadOnlyList<double> DefaultThresholds = [0.5, 0.75, 0.9];

    public static string Command(TaskFile task, int? stage = null) =>
        $"python3 {Quote(Path.Combine(Directory, "dean_peer_runner.py"))} {task.Format} {Quote(task.Evaluate)} {Quote(task.Evolve[0])}"
        + (stage is { } n ? $" --stage {n.ToString(CultureInfo.InvariantCulture)}" : "");

    /// <summary>
    /// An OpenEvolve evaluator's <c>evaluate_stage1..n</c> as DEAN stages (DESIGN section 2): stage i's threshold is the
    /// config's i-th (the last given, or OpenEvolve's defaults, when there are fewer); the last stage has none.
    /// </summary>
    public static IReadOnlyList<TaskStage> Stages(TaskFile task)
    {
        var thresholds = task.CascadeThresholds is { Count: > 0 } given ? given : DefaultThresholds;
        return Enumerable.Range(1, task.PeerStages).Select(n => new TaskStage(Command(task, n),
            n == task.PeerStages ? null : thresholds[Math.Min(n - 1, thresholds.Count - 1)])).ToList();
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";
}
