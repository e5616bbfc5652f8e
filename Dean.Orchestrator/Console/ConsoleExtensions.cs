using Dean.Orchestrator.Evolution;
using Dean.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.FluentUI.AspNetCore.Components;

namespace Dean.Orchestrator.OperatorConsole;

/// <summary>
/// The operator console (DESIGN section 13): Blazor with Interactive Server rendering (WebAssembly's runtime pack is not
/// on the package mirror, and a circuit reads the stores directly, with no second API client to keep in step), served on
/// the Orchestrator's console port only (<see cref="ConsolePort"/>).
/// </summary>
/// <remarks>
/// Components: Microsoft.FluentUI.AspNetCore.Components, because it is the design system of the Aspire dashboard that
/// operators already run this system under, so the console looks like the tool next to it; it ships its web components
/// and styles as the package's own static assets, so nothing comes from a CDN. Charts are inline SVG drawn on the
/// server (<see cref="CycleSeries"/>, <see cref="ChartGeometry"/>): no chart script to load, and tests read the markup.
/// </remarks>
public static class ConsoleExtensions
{
    public const string SignOutPath = ConsolePort.Root + "/sign-out";

    public static IHostApplicationBuilder AddOperatorConsole(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddFluentUIComponents();
        builder.Services.AddTransient<IStartupFilter, ConsolePort.Filter>();
        ConsoleAuthentication.Register(builder.Services);
        return builder;
    }

    public static WebApplication MapOperatorConsole(this WebApplication app)
    {
        app.UseAntiforgery();
        // The framework's, the library's and the console's own files; the console port's filter keeps them off the others.
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<ConsoleApp>().AddInteractiveServerRenderMode();
        // The console's own download: its cookie on its port, the API's handler.
        app.MapGet(ConsolePort.Root + "/cycles/{id}/patch", EvolutionApi.PatchAsync).RequireAuthorization(Policies.Viewer).ExcludeFromDescription();
        app.MapPost(SignOutPath, SignOutAsync).RequireAuthorization().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        // A cross-site page cannot sign an operator out: the form carries the antiforgery token.
        if (!await antiforgery.IsRequestValidAsync(context)) return Results.BadRequest();
        await context.SignOutAsync(ConsoleAuthentication.Scheme);
        return Results.LocalRedirect(ConsoleAuthentication.SignInPath);
    }
}
