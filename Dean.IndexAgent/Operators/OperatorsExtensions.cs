using System.ClientModel;
using Dean.IndexAgent.Operators.Builtin;
using Dean.IndexAgent.Operators.Llm;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Dean.IndexAgent.Operators;

public static class OperatorsExtensions
{
    /// <summary>
    /// The operators and the builtin operator's edit strategies. The <c>llm</c> operator gets an <see cref="IChatClient"/>
    /// only when the connection string <c>llm</c> (<c>Endpoint=...;Model=...;Key=...</c>) is configured.
    /// </summary>
    public static IHostApplicationBuilder AddOperators(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TokenCounter>();
        builder.Services.AddSingleton<IEditStrategy, TuneConstants>();
        builder.Services.AddSingleton<IEditStrategy, Simplify>();
        builder.Services.AddSingleton<IEditStrategy, Restructure>();
        builder.Services.AddSingleton<IEditStrategy, Reorder>();
        builder.Services.AddSingleton<IEditStrategy, Crossover>();
        builder.Services.AddSingleton<IEditStrategy, ApplyPattern>();
        builder.Services.AddSingleton<IMutationOperator, BuiltinOperator>();
        builder.Services.AddSingleton<IMutationOperator, LlmOperator>();
        builder.Services.AddSingleton<OperatorRegistry>();

        if (builder.Configuration.GetConnectionString(LlmOperator.ConnectionName) is { Length: > 0 } connectionString)
        {
            var (endpoint, model, key) = LlmOperator.ParseConnectionString(connectionString);
            builder.Services.AddSingleton(_ => CreateChatClient(endpoint, model, key));
        }
        return builder;
    }

    public static IChatClient CreateChatClient(Uri endpoint, string model, string? key) =>
        new OpenAI.Chat.ChatClient(model, new ApiKeyCredential(string.IsNullOrEmpty(key) ? "unused" : key),
                new OpenAIClientOptions { Endpoint = endpoint, NetworkTimeout = TimeSpan.FromMinutes(2) })
            .AsIChatClient();
}
