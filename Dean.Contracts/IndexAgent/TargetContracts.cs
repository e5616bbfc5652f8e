namespace Dean.Contracts.IndexAgent;

// The IndexAgent's registered targets, as far as other services read them.

/// <summary>The layouts a target repository may have (DESIGN section 2).</summary>
public static class TaskFormats
{
    /// <summary>A <c>dean.json</c> at the root.</summary>
    public const string Dean = "dean";

    /// <summary>OpenEvolve's <c>initial_program.&lt;ext&gt;</c> and <c>evaluator.py</c> (optional <c>config.yaml</c>).</summary>
    public const string OpenEvolve = "openevolve";

    /// <summary>ShinkaEvolve's <c>initial.&lt;ext&gt;</c> and <c>evaluate.py</c>.</summary>
    public const string Shinka = "shinka";
}

/// <param name="Evaluate">The command of a <c>dean.json</c>; for a peer format, the peer's evaluator file.</param>
/// <param name="MaxIterations">OpenEvolve's <c>max_iterations</c> (evaluations): a cycle's default generations come from it.</param>
/// <param name="PopulationSize">OpenEvolve's <c>database.population_size</c>: a cycle's default size, within the constraints.</param>
public sealed record TaskFileResponse(string Name, IReadOnlyList<string> Evolve, string Evaluate, string? Score, int TimeoutSeconds, string Format,
    int? MaxIterations = null, int? PopulationSize = null);

/// <param name="Format">How the repository describes its task: <c>dean</c>, <c>openevolve</c> or <c>shinka</c> (see <see cref="TaskFormats"/>).</param>
public sealed record TargetResponse(string Name, string Repository, string Path, string Head, bool IsDefault, TaskFileResponse Task, DateTimeOffset CreatedAt,
    string Format);

/// <param name="Repository">A git URL, a local git repository, or a plain local folder (imported as a new repository).</param>
public sealed record RegisterTargetRequest(string? Name, string? Repository);

public sealed record TargetListResponse(IReadOnlyList<TargetResponse> Targets);

/// <summary>The answer of <c>POST /api/v1/maintenance/prune-worktrees</c>: the worktrees removed.</summary>
public sealed record WorktreePruneResponse(IReadOnlyList<string> Pruned);

/// <summary>What importing a plain folder as a target leaves out, so that `dean run`'s content hash covers what is imported.</summary>
public static class TaskFolders
{
    /// <summary>Where `dean run` writes a cycle's results inside the task's folder.</summary>
    public const string Results = "dean-out";

    public static readonly string[] Skipped = [".git", "bin", "obj", "__pycache__", "TestResults", "node_modules", ".venv", Results];
}
