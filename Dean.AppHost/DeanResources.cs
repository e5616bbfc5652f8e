using Aspire.Hosting.ApplicationModel;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Data;

namespace Dean.AppHost;

public static class DeanResources
{
    /// <summary>The database every service uses, and the connection name it is handed under.</summary>
    public const string Database = "agent_evolution";

    /// <summary>
    /// What the three services share: the database (each logged in as its own role), Redis, the services' public keys
    /// and a health check.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDeanDefaults(this IResourceBuilder<ProjectResource> project,
        DeanDatabase database, IResourceBuilder<IResourceWithConnectionString> redis, SigningSeeds seeds) =>
        project
            .WithEnvironment($"ConnectionStrings__{Database}", database.ConnectionStringFor(DatabaseOwnership.RoleOf(project.Resource.Name)))
            .WaitFor(database.Resource)
            .WithReference(redis, "redis").WaitFor(redis)
            .WithEnvironment(async context =>
            {
                foreach (var (service, seed) in seeds.ByService)
                {
                    var value = await seed.Resource.GetValueAsync(context.CancellationToken) ?? throw new InvalidOperationException($"parameter {seed.Resource.Name} has no value");
                    context.EnvironmentVariables[$"Auth__TrustedKeys__{service}"] = SigningKeys.PublicKeyOf(value, service);
                }
            })
            .WithHttpHealthCheck("/health");

    /// <summary>The Orchestrator's second login, for backups, restores and the weekly upkeep across the services' tables.</summary>
    public static IResourceBuilder<ProjectResource> WithMaintenanceDatabase(this IResourceBuilder<ProjectResource> project, DeanDatabase database) =>
        project.WithEnvironment($"ConnectionStrings__{DatabaseOwnership.MaintenanceConnectionName}", database.ConnectionStringFor(DatabaseOwnership.MaintenanceRole));

    /// <summary>The service's own signing seed: only the service it names ever sees it.</summary>
    public static IResourceBuilder<ProjectResource> WithSigningSeed(this IResourceBuilder<ProjectResource> project, SigningSeeds seeds) =>
        project.WithEnvironment("Auth__SigningKey", seeds.ByService[project.Resource.Name]);

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

/// <summary>
/// The secret seeds of the services that sign tokens (<c>jwt-signing-key</c> is the Orchestrator's, as it was when it
/// was the shared HS256 key, so an existing installation keeps its secret). Generated once and persisted.
/// </summary>
public sealed class SigningSeeds(IDistributedApplicationBuilder builder)
{
    public IReadOnlyDictionary<string, IResourceBuilder<ParameterResource>> ByService { get; } = new Dictionary<string, IResourceBuilder<ParameterResource>>
    {
        [SigningKeys.Orchestrator] = Seed(builder, "jwt-signing-key"),
        ["indexagent"] = Seed(builder, "indexagent-signing-key"),
    };

    private static IResourceBuilder<ParameterResource> Seed(IDistributedApplicationBuilder builder, string name) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
}
