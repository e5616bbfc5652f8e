using Aspire.Hosting.ApplicationModel;

namespace Dean.AppHost;

public static class DeanResources
{
    /// <summary>The database every service uses, and the connection name it is handed under.</summary>
    public const string Database = "agent_evolution";

    /// <summary>What the three services share: database, Redis, the token signing key and a health check.</summary>
    public static IResourceBuilder<ProjectResource> WithDeanDefaults(this IResourceBuilder<ProjectResource> project,
        IResourceBuilder<IResourceWithConnectionString> database, IResourceBuilder<IResourceWithConnectionString> redis,
        IResourceBuilder<ParameterResource> signingKey) =>
        project
            .WithReference(database, Database).WaitFor(database)
            .WithReference(redis, "redis").WaitFor(redis)
            .WithEnvironment("Auth__SigningKey", signingKey)
            .WithHttpHealthCheck("/health");

    /// <summary>
    /// <c>DEAN_ADMIN_PASSWORD</c> from the AppHost's configuration (environment or argument) when set; otherwise the
    /// orchestrator generates one on first start, stores it in a git-ignored file and logs it once.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithAdminPassword(this IResourceBuilder<ProjectResource> project, IDistributedApplicationBuilder builder)
    {
        var password = builder.Configuration["DEAN_ADMIN_PASSWORD"];
        return string.IsNullOrEmpty(password) ? project : project.WithEnvironment("DEAN_ADMIN_PASSWORD", password);
    }
}
