using Dean.IndexAgent.Agents;

namespace Dean.IndexAgent.Operators;

/// <summary>
/// A catalogued pattern as an operator applies it. With <see cref="Template"/> (the catalogue's JSON
/// <see cref="Patterns.PatternTemplate"/>) it is matched by shape, so it applies to code with other literals and
/// indentation; without one, <see cref="Before"/> is replaced by <see cref="After"/> as text.
/// </summary>
public sealed record PatternEdit(string Id, string Before, string After, string? Template = null);

/// <summary>
/// What an operator gets for one step (DESIGN section 4, step 2). <see cref="CrossoverAncestor"/> is the version of the
/// files that the agent's and the crossover source's histories last shared (git's merge base), when there is one.
/// <see cref="LastFeedback"/> is what the evaluator said of the agent's last attempt, <see cref="CurrentFeedback"/> what it
/// said of the program the agent holds (its artifacts).
/// </summary>
public sealed record ProposalContext(
    string AgentId,
    string Goal,
    Genome Genome,
    IReadOnlyList<EvolveFile> Files,
    int Seed,
    string? LastFeedback,
    IReadOnlyList<PatternEdit> Patterns,
    IReadOnlyList<EvolveFile>? CrossoverSource,
    IReadOnlyDictionary<string, Evolution.StrategyEvidence>? TargetEvidence = null,
    IReadOnlyList<EvolveFile>? CrossoverAncestor = null,
    string? CurrentFeedback = null);

/// <summary>
/// An operator's answer: the new contents of the files it changed (empty with <see cref="Failure"/> when it has no edit),
/// and the tokens it used, which the step charges at the Economy. <see cref="Strategy"/> is the genome strategy that made
/// the edit, when the operator chose one: the step credits the outcome to it.
/// </summary>
public sealed record Proposal(IReadOnlyDictionary<string, string> Changes, string Kind, string Description, int TokensUsed, string? Failure = null,
    string? Strategy = null)
{
    public static Proposal Failed(string kind, string failure, int tokensUsed) =>
        new(new Dictionary<string, string>(), kind, failure, tokensUsed, failure);
}

public interface IMutationOperator
{
    string Name { get; }

    /// <summary>Null when the operator can run, else why not (e.g. no <c>llm</c> connection string).</summary>
    string? Unavailable { get; }

    /// <summary>The most tokens one proposal for this context can use: what the step reserves.</summary>
    int MaxTokens(ProposalContext context, int remainingBudget);

    /// <summary>
    /// How many times a proposal that recreates an already evaluated program is drawn again, with the next seeds. Only
    /// for operators whose proposals cost nothing but CPU and depend only on the seed; an LLM's answer is paid for.
    /// </summary>
    int KnownProgramRedraws => 0;

    /// <summary>Proposes one edit; never uses more than <paramref name="reservedTokens"/>.</summary>
    Task<Proposal> ProposeAsync(ProposalContext context, int reservedTokens, CancellationToken cancellationToken);
}

/// <summary>The operators by name (<c>builtin</c>, <c>llm</c>).</summary>
public sealed class OperatorRegistry(IEnumerable<IMutationOperator> operators)
{
    public const string Default = "builtin";
    private readonly Dictionary<string, IMutationOperator> _byName = operators.ToDictionary(o => o.Name, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public IMutationOperator? Find(string? name) => _byName.GetValueOrDefault(name ?? Default);
}
