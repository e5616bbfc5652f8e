using Microsoft.Extensions.Options;

namespace Dean.Orchestrator.Auth;

/// <summary>
/// The Airflow port (8080, the AppHost's <c>airflow</c> endpoint; its listening port is <c>Orchestrator:AirflowPort</c>)
/// serves only what the runbook's Airflow lines use: <c>/health</c>, <c>/alive</c>, the Hangfire dashboard and the
/// <c>dags</c> routes. Everything else there is 404 before authentication runs, and Basic credentials are accepted
/// only on its <c>dags</c> routes (anywhere else a Basic header costs no password hash: the bearer handler refuses it).
/// </summary>
public static class AirflowPort
{
    public const string DagsPath = "/api/v1/dags";
    private static readonly string[] Served = ["/health", "/alive", "/hangfire", DagsPath];

    public static bool IsAirflowRequest(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<OrchestratorOptions>>().Value.AirflowPort is { } port && context.Connection.LocalPort == port;

    public static bool AcceptsBasic(HttpContext context) => IsAirflowRequest(context) && context.Request.Path.StartsWithSegments(DagsPath);

    /// <summary>Runs first in the pipeline (before routing and authentication), so no other route answers on the port.</summary>
    public sealed class Filter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, proceed) =>
            {
                if (IsAirflowRequest(context) && !Served.Any(p => context.Request.Path.StartsWithSegments(p)))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }
                await proceed(context);
            });
            next(app);
        };
    }
}
