using System.Data.Common;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Dean.IndexAgent.Operators.Llm;

/// <summary>
/// The <c>llm</c> operator: an <see cref="IChatClient"/> (any OpenAI-compatible endpoint, connection string <c>llm</c>)
/// asked for SEARCH/REPLACE blocks. <c>MaxOutputTokens</c> is what the reservation leaves after the prompt; the usage
/// charged is the provider's, never more than reserved.
/// </summary>
public sealed class LlmOperator(IServiceProvider services, TokenCounter tokens, IOptions<IndexAgentOptions> options) : IMutationOperator
{
    public const string OperatorName = "llm";
    public const string ConnectionName = "llm";

    /// <summary>Headroom for the chat template's own tokens around the messages.</summary>
    private const int PromptOverhead = 32;

    private IChatClient? Client => services.GetService<IChatClient>();

    public string Name => OperatorName;

    public string? Unavailable => Client is null ? $"the llm operator needs the connection string '{ConnectionName}' (Endpoint=...;Model=...;Key=...)" : null;

    public int MaxTokens(ProposalContext context, int remainingBudget) =>
        Math.Max(0, Math.Min(options.Value.LlmMaxTokensPerStep, remainingBudget));

    public async Task<Proposal> ProposeAsync(ProposalContext context, int reservedTokens, CancellationToken cancellationToken)
    {
        var client = Client ?? throw new InvalidOperationException(Unavailable);
        var messages = Prompt(context);
        var promptTokens = messages.Sum(m => tokens.Count(m.Text)) + PromptOverhead;
        var maxOutput = reservedTokens - promptTokens;
        if (maxOutput < 16)
            return Proposal.Failed("search-replace", $"the reservation ({reservedTokens} tokens) does not cover the prompt ({promptTokens} tokens)", 0);

        var response = await client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = maxOutput, Temperature = 0.2f + 0.8f * (float)context.Genome.Traits.Exploration, Seed = context.Seed }, cancellationToken);
        var text = response.Text ?? "";
        var usage = response.Usage;
        var used = usage?.TotalTokenCount
                   ?? (usage?.InputTokenCount is { } input && usage.OutputTokenCount is { } output ? input + output : promptTokens + tokens.Count(text));
        var charged = (int)Math.Min(reservedTokens, used);

        var blocks = SearchReplace.Parse(text);
        if (blocks.Count == 0) return Proposal.Failed("search-replace", "the model answered without SEARCH/REPLACE blocks", charged);
        var changes = SearchReplace.Apply(context.Files.ToDictionary(f => f.Path, f => f.Content), blocks, out var error);
        if (error is not null) return Proposal.Failed("search-replace", error, charged);
        if (changes.Count == 0) return Proposal.Failed("search-replace", "the blocks change nothing", charged);
        return new Proposal(changes, "search-replace", $"{blocks.Count} SEARCH/REPLACE block(s) in {string.Join(", ", changes.Keys)}", charged);
    }

    public static List<ChatMessage> Prompt(ProposalContext context)
    {
        var system = """
            You improve a program by small, careful edits. Change only the lines between EVOLVE-BLOCK-START and
            EVOLVE-BLOCK-END of the files shown; anything else is refused. Answer only with SEARCH/REPLACE blocks:
            the file path on its own line, then
            <<<<<<< SEARCH
            exact lines to replace
            =======
            new lines
            >>>>>>> REPLACE
            """;
        var user = new StringBuilder();
        user.Append("Goal: ").Append(context.Goal).Append('\n');
        user.Append("Preferred kinds of edit: ").Append(string.Join(", ", context.Genome.Strategies)).Append('\n');
        // Both capped, so a verbose evaluator cannot crowd out the program (the prompt's tokens count in the reservation).
        if (!string.IsNullOrWhiteSpace(context.CurrentFeedback))
            user.Append("Evaluator feedback on the current program: ").Append(Capped(context.CurrentFeedback)).Append('\n');
        if (!string.IsNullOrWhiteSpace(context.LastFeedback) && context.LastFeedback != context.CurrentFeedback)
            user.Append("Evaluator feedback on the last attempt: ").Append(Capped(context.LastFeedback)).Append('\n');
        foreach (var pattern in context.Patterns.Take(3))
            user.Append("A change that worked before (pattern ").Append(pattern.Id).Append("):\n-").Append(pattern.Before.Replace("\n", "\n-", StringComparison.Ordinal))
                .Append("\n+").Append(pattern.After.Replace("\n", "\n+", StringComparison.Ordinal)).Append('\n');
        foreach (var file in context.Files)
            user.Append("\n").Append(file.Path).Append("\n```\n").Append(file.Content).Append("\n```\n");
        return [new ChatMessage(ChatRole.System, system), new ChatMessage(ChatRole.User, user.ToString())];
    }

    /// <summary>The most of one evaluator feedback a prompt carries (about 500 tokens).</summary>
    public const int MaxFeedbackChars = 2000;

    private static string Capped(string feedback) => feedback.Length <= MaxFeedbackChars ? feedback : feedback[..(MaxFeedbackChars - 1)] + "…";

    /// <summary>Parses <c>Endpoint=...;Model=...;Key=...</c>.</summary>
    public static (Uri Endpoint, string Model, string? Key) ParseConnectionString(string connectionString)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        string? Get(string key) => builder.TryGetValue(key, out var value) ? value?.ToString() : null;
        var endpoint = Get("Endpoint") ?? throw new InvalidOperationException("the llm connection string needs Endpoint=");
        var model = Get("Model") ?? throw new InvalidOperationException("the llm connection string needs Model=");
        return (new Uri(endpoint), model, Get("Key"));
    }
}
