using Dean.IndexAgent.Workspace;

namespace Dean.IndexAgent.Evaluation;

public static class EvaluationExtensions
{
    public static IHostApplicationBuilder AddWorkspaceAndEvaluation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IndexAgentOptions>().Bind(builder.Configuration.GetSection(IndexAgentOptions.Section))
            .Validate(o => o.MaxConcurrentEvaluations >= 1, "IndexAgent:MaxConcurrentEvaluations must be at least 1")
            .Validate(o => o.OutputCapBytes >= 1024, "IndexAgent:OutputCapBytes must be at least 1024")
            .ValidateOnStart();
        builder.Services.AddSingleton<WorkspaceService>();
        builder.Services.AddSingleton<EvaluationRunner>();
        return builder;
    }
}
