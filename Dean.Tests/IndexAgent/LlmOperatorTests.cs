using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dean.IndexAgent;
using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Operators;
using Dean.IndexAgent.Operators.Llm;
using Dean.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dean.Tests.IndexAgent;

/// <summary>
/// The real <c>llm</c> operator code (Microsoft.Extensions.AI over the OpenAI client) against a stand-in
/// chat-completions server on a local port.
/// </summary>
public sealed class LlmOperatorTests
{
    private const string Program = "import math\n# EVOLVE-BLOCK-START\nstep = 2.0\nshrink = 0.999\n# EVOLVE-BLOCK-END\nprint(step)\n";

    [Fact]
    public async Task A_search_replace_answer_becomes_a_proposal_with_the_providers_usage()
    {
        await using var server = new ChatCompletionsStandIn("program.py\n<<<<<<< SEARCH\nstep = 2.0\n=======\nstep = 2.5\n>>>>>>> REPLACE\n", promptTokens: 900, completionTokens: 40);
        var op = Operator(server, "Endpoint=" + server.Endpoint + ";Model=test-model;Key=sk-test");
        Assert.Null(op.Unavailable);

        var context = Context();
        var reserved = op.MaxTokens(context, remainingBudget: 3000);
        Assert.Equal(3000, reserved);
        var proposal = await op.ProposeAsync(context, reserved, CancellationToken.None);

        Assert.Null(proposal.Failure);
        Assert.Equal(Program.Replace("step = 2.0", "step = 2.5"), proposal.Changes["program.py"]);
        Assert.Equal(940, proposal.TokensUsed);

        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer sk-test", request.Authorization);
        Assert.Equal("test-model", request.Body.GetProperty("model").GetString());
        var maxTokens = request.Body.TryGetProperty("max_completion_tokens", out var mct) ? mct.GetInt32() : request.Body.GetProperty("max_tokens").GetInt32();
        Assert.InRange(maxTokens, 16, reserved - 1);
        var userMessage = request.Body.GetProperty("messages").EnumerateArray().Last().GetProperty("content").ToString();
        Assert.Contains("EVOLVE-BLOCK-START", userMessage);
        Assert.Contains("lower the objective", userMessage);
    }

    [Fact]
    public async Task Usage_above_the_reservation_is_capped_and_a_bad_answer_is_a_failure()
    {
        await using var server = new ChatCompletionsStandIn("I would rather not edit anything.", promptTokens: 5000, completionTokens: 500);
        var op = Operator(server, $"Endpoint={server.Endpoint};Model=m");
        var proposal = await op.ProposeAsync(Context(), 2000, CancellationToken.None);
        Assert.NotNull(proposal.Failure);
        Assert.Equal(2000, proposal.TokensUsed);
    }

    [Fact]
    public async Task An_edit_outside_the_block_is_proposed_but_the_scope_refuses_it()
    {
        await using var server = new ChatCompletionsStandIn("program.py\n<<<<<<< SEARCH\nprint(step)\n=======\nprint(42)\n>>>>>>> REPLACE\n", 100, 10);
        var proposal = await Operator(server, $"Endpoint={server.Endpoint};Model=m").ProposeAsync(Context(), 2000, CancellationToken.None);
        var reason = new EvolveScope(["program.py"]).Check(new Dictionary<string, string> { ["program.py"] = Program }, proposal.Changes);
        Assert.NotNull(reason);
        Assert.Contains("outside its EVOLVE-BLOCKs", reason);
    }

    [Fact]
    public void Without_a_connection_string_the_operator_is_unavailable()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        var op = new LlmOperator(services, new TokenCounter(), Options.Create(new IndexAgentOptions()));
        Assert.Contains("llm", op.Unavailable);
    }

    private static LlmOperator Operator(ChatCompletionsStandIn server, string connectionString)
    {
        var (endpoint, model, key) = LlmOperator.ParseConnectionString(connectionString);
        var services = new ServiceCollection().AddSingleton(OperatorsExtensions.CreateChatClient(endpoint, model, key)).BuildServiceProvider();
        return new LlmOperator(services, new TokenCounter(), Options.Create(new IndexAgentOptions { LlmMaxTokensPerStep = 4000 }));
    }

    private static ProposalContext Context() =>
        new("agent_llm", "lower the objective", Genome.Default, [EvolveFile.Create("program.py", Program)], 42, "last score 1.2", [], null);
}
