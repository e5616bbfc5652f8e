namespace Dean.IndexAgent;

/// <summary>Configuration section <c>IndexAgent</c>; the AppHost passes the workspace and samples folders.</summary>
public sealed class IndexAgentOptions
{
    public const string Section = "IndexAgent";

    /// <summary>Where target clones (<c>targets/</c>) and agent worktrees (<c>worktrees/</c>) live.</summary>
    public string WorkspaceRoot { get; set; } = Path.Combine(Path.GetTempPath(), "dean-workspace");

    /// <summary>The repository's <c>samples/</c> folder; the default target is created from it on first start.</summary>
    public string? SamplesRoot { get; set; }

    public string DefaultSample { get; set; } = "function-minimization";

    /// <summary>Evaluations running at once; more wait for a slot. Default: the core count.</summary>
    public int MaxConcurrentEvaluations { get; set; } = Environment.ProcessorCount;

    /// <summary>Bytes kept of an evaluator's stdout and of its stderr (the tail: the verdict is the last line).</summary>
    public int OutputCapBytes { get; set; } = 64 * 1024;

    /// <summary>Upper bound of one <c>llm</c> step (prompt plus completion), before the agent's remaining budget.</summary>
    public int LlmMaxTokensPerStep { get; set; } = 4000;

    /// <summary>How many of the catalogue's patterns (most effective first) the diversity defence may hand to a population.</summary>
    public int DefencePatternOffers { get; set; } = 500;

    /// <summary>How checks and evaluators are isolated (<c>IndexAgent:Sandbox</c>: <c>bubblewrap</c>, or <c>none</c> for development).</summary>
    public Evaluation.SandboxMode Sandbox { get; set; } = Evaluation.SandboxMode.Bubblewrap;

    public string TargetsDirectory => Path.Combine(WorkspaceRoot, "targets");
    public string WorktreesDirectory => Path.Combine(WorkspaceRoot, "worktrees");
}
