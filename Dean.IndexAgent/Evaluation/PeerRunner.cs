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

    public static string Command(TaskFile task)
    {
        var program = task.Evolve[0];
        var command = $"python3 {Quote(Path.Combine(Directory, "dean_peer_runner.py"))} {task.Format} {Quote(task.Evaluate)} {Quote(program)}";
        if (task.Format != TaskFormats.OpenEvolve) return command;
        if (!task.Cascade) command += " --no-cascade";
        if (task.CascadeThresholds is { Count: > 0 } thresholds)
            command += " --thresholds " + string.Join(',', thresholds.Select(t => t.ToString("R", CultureInfo.InvariantCulture)));
        return command;
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";
}
