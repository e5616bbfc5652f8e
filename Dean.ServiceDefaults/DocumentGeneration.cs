using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dean.ServiceDefaults;

/// <summary>
/// The build writes each service's OpenAPI document by running its <c>Program</c> under <c>GetDocument.Insider</c>,
/// with no AppHost and so no connection strings. In that run the service gets placeholder connection strings (never
/// opened) and no hosted services (no migrations, no Hangfire server, no key refresh): only its endpoints are read.
/// </summary>
public static class DocumentGeneration
{
    public static bool IsActive { get; } = Assembly.GetEntryAssembly()?.GetName().Name == "GetDocument.Insider";

    private const string WebHostService = "Microsoft.AspNetCore.Hosting.GenericWebHostService";

    internal static void Prepare(IHostApplicationBuilder builder)
    {
        if (!IsActive) return;
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{Data.DataExtensions.DatabaseConnectionName}"] = "Host=localhost;Database=openapi-document",
            [$"ConnectionStrings:{Data.DataExtensions.RedisConnectionName}"] = "localhost:6379,abortConnect=false,connectTimeout=1",
            // A throwaway key: nothing is signed or verified in this run.
            [$"Auth:TrustedKeys:{Auth.SigningKeys.Orchestrator}"] = Auth.SigningKeys.PublicKeyOf(Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)), Auth.SigningKeys.Orchestrator),
        });
        // Runs when the container is built, after every feature registered its services. The web host itself is a hosted
        // service too, and it builds the endpoints the document describes: it stays.
        builder.ConfigureContainer(new DefaultServiceProviderFactory(), services =>
        {
            foreach (var hosted in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.FullName != WebHostService).ToList())
                services.Remove(hosted);
        });
    }
}
