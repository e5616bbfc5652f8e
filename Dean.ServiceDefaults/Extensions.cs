using System.Text.Json;
using System.Text.Json.Serialization;
using Dean.ServiceDefaults;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Health;
using Dean.ServiceDefaults.Http;
using Dean.ServiceDefaults.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using Scalar.AspNetCore;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The one cross-cutting layer: telemetry, health, service discovery, resilience, JSON conventions,
/// ProblemDetails, authentication and request metrics, shared by every DEAN service.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    public const string MetricsEndpointPath = "/metrics";

    /// <summary>Meters whose instruments every service exports; services add their own with <see cref="DeanMeters"/>.</summary>
    public static readonly string[] DeanMeterNames = [ApiRequestMetrics.MeterName, DeanMeters.Name];

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        DocumentGeneration.Prepare(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new ServiceIdentity(ServiceIdentity.ResolveName(builder), ServiceIdentity.ResolveVersion()));
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            // Malformed bodies (wrong JSON types, unreadable JSON) are the caller's fault: say what was wrong.
            if (context.Exception is BadHttpRequestException bad)
            {
                context.ProblemDetails.Type = Dean.Contracts.ProblemTypes.ValidationError;
                context.ProblemDetails.Detail = bad.InnerException?.Message ?? bad.Message;
            }
        });
        builder.Services.ConfigureHttpJsonOptions(o => Dean.Contracts.DeanJson.Configure(o.SerializerOptions));
        builder.Services.AddSingleton<ApiRequestMetrics>();
        builder.Services.AddSingleton<DeanMeters>();
        builder.AddDeanAuthentication();
        builder.Services.AddOpenApi();
        return builder;
    }

    public static JsonSerializerOptions DeanJson => Dean.Contracts.DeanJson.Options;

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Per-command SQL logs drown everything else; warnings and errors still show.
        builder.Logging.AddFilter("Npgsql", LogLevel.Warning);
        builder.Logging.AddFilter("Hangfire", LogLevel.Warning);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(DeanMeterNames)
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName, DeanMeters.Name)
                .AddAspNetCoreInstrumentation(t => t.Filter = context =>
                    !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                    && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath)
                    && !context.Request.Path.StartsWithSegments(MetricsEndpointPath))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Middleware and the anonymous operational endpoints: ProblemDetails for every error status,
    /// request metrics, <c>/health</c> (JSON with components), <c>/alive</c>, <c>/metrics</c>, <c>/openapi/v1.json</c> and <c>/scalar</c>.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        // Before routing: the matcher answers 415 itself to a content type an endpoint does not accept.
        app.UseJsonBodyWithoutContentType();
        app.UseRouting();
        app.UseMiddleware<ApiRequestMetricsMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions
        {
            ResponseWriter = HealthResponseWriter.WriteAsync,
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        }).AllowAnonymous();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") })
            .AllowAnonymous();
        app.MapPrometheusScrapingEndpoint(MetricsEndpointPath).AllowAnonymous();
        // The service's contract, public like its health: /openapi/v1.json, browsable at /scalar.
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference().AllowAnonymous();
        return app;
    }
}
