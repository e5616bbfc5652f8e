using System.Text.Json;
using Dean.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dean.ServiceDefaults.Health;

/// <summary>Writes <c>{status, service, version, components}</c>: what the runbook's <c>curl /health | jq</c> shows.</summary>
public static class HealthResponseWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var identity = context.RequestServices.GetRequiredService<ServiceIdentity>();
        var body = new HealthResponse(
            Status(report.Status),
            identity.Name,
            identity.Version,
            report.Entries.Where(e => e.Key != "self").ToDictionary(
                e => e.Key,
                e => new HealthComponent(Status(e.Value.Status), Math.Round(e.Value.Duration.TotalMilliseconds, 1),
                    e.Value.Description ?? e.Value.Exception?.Message)));
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, body, Microsoft.Extensions.Hosting.Extensions.DeanJson, context.RequestAborted);
    }

    private static string Status(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };

}
