using Dean.Contracts.Evolution;
using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evolution;
using Dean.IndexAgent.Operators;
using Dean.IndexAgent.Targets;
using Dean.IndexAgent.Workspace;

namespace Dean.Bench.Evolution;

/// <summary>A target directory: its task file and the files of its evolve scope.</summary>
public sealed class Target
{
    private Target(string name, string directory, TaskFile task, IReadOnlyList<string> paths)
    {
        Name = name;
        Directory = directory;
        Task = task;
        Paths = paths;
    }

    public string Name { get; }
    public string Directory { get; }
    public TaskFile Task { get; }
    public IReadOnlyList<string> Paths { get; }
    public EvolveScope Scope => new(Task.Evolve);

    public static Target Load(string directory)
    {
        var full = Path.GetFullPath(directory);
        var task = TaskFile.Parse(File.ReadAllText(Path.Combine(full, TaskFile.FileName)), out var errors)
                   ?? throw new InvalidOperationException($"{full}: {string.Join("; ", errors.SelectMany(e => e.Value))}");
        var scope = new EvolveScope(task.Evolve);
        var paths = System.IO.Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(full, f).Replace('\\', '/'))
            .Where(p => !p.StartsWith(".git/", StringComparison.Ordinal) && !p.Contains("__pycache__", StringComparison.Ordinal) && scope.InScope(p))
            .Order(StringComparer.Ordinal).ToList();
        if (paths.Count == 0) throw new InvalidOperationException($"{full}: no file matches evolve {string.Join(", ", task.Evolve)}");
        return new Target(task.Name, full, task, paths);
    }

    /// <summary>A private copy of the target (what an agent's worktree is to the IndexAgent).</summary>
    public string CopyTo(string destination)
    {
        CopyDirectory(Directory, destination);
        return destination;
    }

    public static void CopyDirectory(string from, string to)
    {
        System.IO.Directory.CreateDirectory(to);
        foreach (var file in System.IO.Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.StartsWith(".git", StringComparison.Ordinal) || relative.Contains("__pycache__", StringComparison.Ordinal)) continue;
            var destination = Path.Combine(to, relative);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }
    }
}

/// <summary>An agent of a run: its worktree (a directory), fitness, genome, and what the step and population step read.</summary>
public sealed class LabAgent(string id, string directory, double? fitness, Genome genome, IReadOnlyCollection<string> lineage)
{
    public string Id { get; } = id;
    public string Directory { get; } = directory;
    public double? Fitness { get; set; } = fitness;
    public Genome Genome { get; set; } = genome;
    public double TokenEfficiency { get; set; }
    public int Steps { get; set; }
    public int StepsSinceAccept { get; set; }
    public string? LastFeedback { get; set; }
    public IReadOnlyCollection<string> Lineage { get; } = lineage;

    /// <summary>
    /// The programs this agent's worktree held, oldest first: what its git branch's commits are to the IndexAgent (a
    /// spawn or restart starts with the history of the agent it copies; an accepted candidate is one more commit).
    /// </summary>
    public List<IReadOnlyDictionary<string, string>> History { get; set; } = [];

    /// <summary>The newest program of this history that the other's history holds too: the merge base of the two branches.</summary>
    public IReadOnlyDictionary<string, string>? CommonAncestor(LabAgent other)
    {
        var theirs = other.History.Select(Key).ToHashSet(StringComparer.Ordinal);
        return History.LastOrDefault(p => theirs.Contains(Key(p)));
    }

    private static string Key(IReadOnlyDictionary<string, string> program) =>
        string.Join('\0', program.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + '\0' + p.Value));

    /// <summary>The files before and after this generation's accepted candidate, with its kind (for rule 90).</summary>
    public (IReadOnlyDictionary<string, string> Before, IReadOnlyDictionary<string, string> After, string Kind)? Accepted { get; set; }

    public IReadOnlyList<EvolveFile> Files(Target target) =>
        target.Paths.Select(p => EvolveFile.Create(p, WorktreeEdit.Read(Directory, p))).ToList();
}

/// <summary>Per edit kind: proposed, stopped by the validity gate, evaluated, accepted, and raised the run's best.</summary>
public sealed class EditKindCounts
{
    public int Proposed, CheckFailed, Evaluated, Accepted, NewBest;
}

/// <summary>
/// One run of one method on one target: the shared bookkeeping (evaluations, best so far, programs already evaluated,
/// gate statistics) around <see cref="CandidateTrial"/>, the step core the IndexAgent runs.
/// </summary>
public sealed class Run(ProductServices product, Target target, string root, int evaluations)
{
    private readonly HashSet<string> _known = [];
    private readonly List<double> _bestAfter = [];
    private readonly Dictionary<string, StrategyEvidence> _evidence = [];

    public Target Target { get; } = target;
    public string Root { get; } = root;
    public int Budget { get; } = evaluations;
    public int Evaluations => _bestAfter.Count;
    public bool Done => Evaluations >= Budget;
    public double Best { get; private set; } = double.NegativeInfinity;
    public int Proposed { get; private set; }
    public int CheckFailed { get; private set; }
    public Dictionary<string, EditKindCounts> Kinds { get; } = [];
    public IReadOnlyList<double> BestAfter => _bestAfter;

    public void Start(double score) => Best = score;

    /// <summary>
    /// One step of <paramref name="agent"/> as the IndexAgent takes it: propose, gate, evaluate; with
    /// <paramref name="select"/> an improvement is kept (else the worktree is restored), and the agent learns from the
    /// outcome (spread, strategy weights); without it (random search) nothing is kept or learned.
    /// </summary>
    public async Task<bool> StepAsync(LabAgent agent, int seed, LabAgent? crossover, IReadOnlyList<PatternEdit> patterns, bool select)
    {
        var files = agent.Files(Target);
        if (agent.History.Count == 0) agent.History.Add(files.ToDictionary(f => f.Path, f => f.Content));
        var ancestor = crossover?.CommonAncestor(agent)?.Select(p => EvolveFile.Create(p.Key, p.Value)).ToList();
        var context = new ProposalContext(agent.Id, Target.Task.Description ?? $"improve {Target.Name}", agent.Genome, files, seed, agent.LastFeedback, patterns,
            crossover?.Files(Target), select ? _evidence : null, ancestor);
        var bound = product.Operator.MaxTokens(context, int.MaxValue);
        var edit = new WorktreeEdit(agent.Directory);
        var trial = await product.Trials.RunAsync(product.Operator, context, bound, Target.Scope, edit, agent.Directory, Target.Task, agent.Fitness,
            (hash, _) => Task.FromResult(_known.Contains(hash)), redrawKnownPrograms: true, CancellationToken.None);
        if (trial.Proposal.Changes.Count > 0) _known.Add(trial.ProgramHash);
        agent.Steps++;

        var counts = Kinds.TryGetValue(trial.Proposal.Kind, out var c) ? c : Kinds[trial.Proposal.Kind] = new EditKindCounts();
        counts.Proposed++;
        Proposed++;
        if (trial.CheckFailed)
        {
            counts.CheckFailed++;
            CheckFailed++;
        }
        if (trial.Verdict is { } verdict)
        {
            counts.Evaluated++;
            if (verdict is { Passed: true, Score: { } score } && score > Best)
            {
                Best = score;
                counts.NewBest++;
            }
            _bestAfter.Add(Best);
        }

        var kept = select && trial.Improves;
        if (select && trial.Proposal.Strategy is { } strategy && (trial.CheckFailed || trial.Verdict is not null))
            _evidence[strategy] = (_evidence.TryGetValue(strategy, out var e) ? e : new StrategyEvidence(0, 0)).Add(kept);
        if (kept)
        {
            counts.Accepted++;
            var before = files.ToDictionary(f => f.Path, f => f.Content);
            var after = new Dictionary<string, string>(before);
            foreach (var (path, content) in trial.Proposal.Changes) after[path] = content;
            var gain = agent.Fitness is { } previous ? trial.Verdict!.Score!.Value - previous : 0;
            agent.TokenEfficiency = EvolutionStep.NextEfficiency(agent.TokenEfficiency, gain, trial.TokensUsed);
            agent.Fitness = trial.Verdict!.Score;
            agent.Accepted = (before, after, trial.Proposal.Kind);
            agent.History.Add(after);
        }
        else
        {
            edit.Restore();
            if (select) agent.TokenEfficiency = EvolutionStep.NextEfficiency(agent.TokenEfficiency, 0, trial.TokensUsed);
        }
        if (select)
        {
            agent.Genome = trial.Learned(agent.Genome);
            agent.StepsSinceAccept = kept ? 0 : agent.StepsSinceAccept + 1;
            // As the IndexAgent records it: the feedback, else the reason.
            agent.LastFeedback = trial.Feedback ?? trial.Reason;
        }
        return kept;
    }

    /// <summary>The score of a directory as it stands (the starting program's fitness, measured once at spawn).</summary>
    public async Task<double> ScoreAsync(string directory)
    {
        var verdict = await product.Evaluator.EvaluateAsync(directory, Target.Task, CancellationToken.None);
        return verdict is { Passed: true, Score: { } score } ? score : throw new InvalidOperationException($"{Target.Name}: the starting program does not pass: {verdict.Reason}");
    }

    /// <summary>The evaluations after which the best so far reached <paramref name="score"/>, or null.</summary>
    public int? EvaluationsToReach(double score)
    {
        for (var i = 0; i < _bestAfter.Count; i++)
            if (_bestAfter[i] >= score) return i + 1;
        return null;
    }
}
