using Dean.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Dean.ServiceDefaults.Http;

public static class ServiceClientExtensions
{
    /// <summary>
    /// A typed client for another DEAN service, found by service discovery (<c>http://{service}</c>), carrying this
    /// service's own identity token; and a health component for that service (degraded, not unhealthy, when it is down:
    /// a dependency's outage must not take this service out of rotation).
    /// </summary>
    public static IHttpClientBuilder AddDeanServiceClient<TClient>(this IHostApplicationBuilder builder, string service)
        where TClient : class
    {
        builder.AddServiceDependency(service);
        return builder.Services.AddHttpClient<TClient>(c => c.BaseAddress = new Uri($"http://{service}"))
            .AddHttpMessageHandler(sp => new ServiceIdentityHandler(sp.GetRequiredService<ServiceTokenProvider>(), service));
    }

    /// <summary>The named client (no identity token, 5 s timeout) that reaches another service's operational endpoints.</summary>
    public static string HealthClientName(string service) => $"health-{service}";

    /// <summary>A health component for another DEAN service this one depends on (degraded when it does not answer).</summary>
    public static IHostApplicationBuilder AddServiceDependency(this IHostApplicationBuilder builder, string service)
    {
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(service,
            sp => new ServiceAliveHealthCheck(sp.GetRequiredService<IHttpClientFactory>(), service), HealthStatus.Degraded, ["services"]));
        builder.Services.AddHttpClient(HealthClientName(service), c =>
        {
            c.BaseAddress = new Uri($"http://{service}");
            c.Timeout = TimeSpan.FromSeconds(5);
        });
        return builder;
    }

    /// <summary>
    /// How long a dependency's <c>/alive</c> may take before this service reports it degraded: well under the status
    /// probes' 5 s, so a service whose dependency hangs (a dead process behind a proxy that accepts) still answers its
    /// own <c>/health</c> in time.
    /// </summary>
    public static readonly TimeSpan DependencyAliveTimeout = TimeSpan.FromSeconds(2);

    private sealed class ServiceAliveHealthCheck(IHttpClientFactory factory, string service) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(DependencyAliveTimeout);
            try
            {
                using var response = await factory.CreateClient(HealthClientName(service)).GetAsync(Extensions.AlivenessEndpointPath, timeout.Token);
                return response.IsSuccessStatusCode
                    ? HealthCheckResult.Healthy()
                    : new HealthCheckResult(context.Registration.FailureStatus, $"{service} answered {(int)response.StatusCode}");
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"{service} did not answer within {DependencyAliveTimeout.TotalSeconds:0} s", ex);
            }
            catch (Exception ex)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, ex.Message, ex);
            }
        }
    }
}
