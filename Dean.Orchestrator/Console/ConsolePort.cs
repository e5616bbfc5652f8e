using Dean.Orchestrator.Auth;
using Microsoft.Extensions.Options;

namespace Dean.Orchestrator.OperatorConsole;

/// <summary>
/// The console port (8083, the AppHost's <c>console</c> endpoint; its listening port is <c>Orchestrator:ConsolePort</c>)
/// serves the console and nothing else, and the console is served nowhere else. Cookies ignore ports, so this split is
/// what keeps the console's cookie away from the API: on the console port no <c>/api</c> route exists, and elsewhere the
/// authentication selector never reads the cookie (<see cref="BasicAuthenticationHandler.Register"/>).
/// </summary>
public static class ConsolePort
{
    /// <summary>The console's pages and endpoints.</summary>
    public const string Root = "/console";

    /// <summary>The console's own paths: its pages, and the Blazor framework's scripts, circuit and library assets.</summary>
    private static readonly string[] ConsolePaths = [Root, "/_framework", "/_blazor", "/_content"];

    /// <summary>What the console port answers besides the console.</summary>
    private static readonly string[] HealthPaths = ["/health", "/alive"];

    public static bool IsConsoleRequest(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<OrchestratorOptions>>().Value.ConsolePort is { } port && context.Connection.LocalPort == port;

    private static bool IsConsolePath(PathString path) => ConsolePaths.Any(p => path.StartsWithSegments(p));

    /// <summary>Runs first in the pipeline (before routing and authentication), so the two sides never see each other's routes.</summary>
    public sealed class Filter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, proceed) =>
            {
                var path = context.Request.Path;
                if (IsConsoleRequest(context))
                {
                    if (path == "/")
                    {
                        context.Response.Redirect(Root + "/cycles");
                        return;
                    }
                    if (!IsConsolePath(path) && !HealthPaths.Any(p => path.StartsWithSegments(p)))
                    {
                        context.Response.StatusCode = StatusCodes.Status404NotFound;
                        return;
                    }
                }
                else if (IsConsolePath(path))
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
