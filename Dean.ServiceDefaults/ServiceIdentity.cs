using System.Reflection;
using Microsoft.Extensions.Hosting;

namespace Dean.ServiceDefaults;

/// <summary>Who this process is: the short service name (<c>economy</c>, <c>indexagent</c>, <c>orchestrator</c>) and its version.</summary>
public sealed record ServiceIdentity(string Name, string Version)
{
    public static string ResolveName(IHostApplicationBuilder builder) =>
        builder.Configuration["OTEL_SERVICE_NAME"]
        ?? builder.Environment.ApplicationName.Replace("Dean.", "", StringComparison.Ordinal).ToLowerInvariant();

    public static string ResolveVersion()
    {
        var version = Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = version.IndexOf('+');
        return plus < 0 ? version : version[..plus];
    }
}
