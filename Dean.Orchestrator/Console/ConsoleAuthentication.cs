using System.Security.Claims;
using Dean.Orchestrator.Auth;
using Dean.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Dean.Orchestrator.OperatorConsole;

/// <summary>
/// The console's session: the API's users and roles (<see cref="UserStore"/>, <see cref="Roles"/>) in an HttpOnly,
/// SameSite=Strict cookie that only the console port reads. The principal carries the same <c>sub</c> and <c>role</c>
/// claims as a bearer token, so the API's policies (<see cref="Policies"/>) decide the console's pages too.
/// </summary>
public static class ConsoleAuthentication
{
    public const string Scheme = "console";
    public const string CookieName = "dean_console";
    public const string SignInPath = ConsolePort.Root + "/sign-in";

    public static void Register(IServiceCollection services)
    {
        services.AddAuthentication().AddCookie(Scheme);
        services.AddOptions<CookieAuthenticationOptions>(Scheme).Configure<IOptions<JwtOptions>>((cookie, jwt) =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.Path = "/";
            cookie.LoginPath = SignInPath;
            cookie.AccessDeniedPath = SignInPath;
            // A session lasts as long as an access token would.
            cookie.ExpireTimeSpan = TimeSpan.FromMinutes(jwt.Value.AccessTokenMinutes);
            cookie.SlidingExpiration = false;
            cookie.Events = new CookieAuthenticationEvents { OnValidatePrincipal = RevalidateAsync };
        });
    }

    public static ClaimsPrincipal Principal(User user) => new(new ClaimsIdentity(
        [new Claim(TokenIssuer.SubjectClaim, user.Username), new Claim(TokenIssuer.RoleClaim, user.Role)],
        Scheme, TokenIssuer.SubjectClaim, TokenIssuer.RoleClaim));

    /// <summary>Where to go after signing in: the page that asked for it when that is one of the console's, else the cycles.</summary>
    public static string LocalReturnUrl(string? returnUrl) =>
        returnUrl is not null && returnUrl.StartsWith(ConsolePort.Root + "/", StringComparison.Ordinal) && !returnUrl.Contains("//", StringComparison.Ordinal) && !returnUrl.Contains('\\')
            ? returnUrl
            : ConsolePort.Root + "/cycles";

    /// <summary>A session ends when its user is gone or has another role now: the cookie cannot outlive the user store.</summary>
    private static async Task RevalidateAsync(CookieValidatePrincipalContext context)
    {
        // Anonymous endpoints (the sign-in page, static files) decide nothing by the user: no lookup for them.
        if (context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null) return;
        var username = context.Principal?.FindFirst(TokenIssuer.SubjectClaim)?.Value;
        var user = username is null ? null : await context.HttpContext.RequestServices.GetRequiredService<UserStore>().FindAsync(username, context.HttpContext.RequestAborted);
        if (user is null || user.Role != context.Principal!.Role())
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
        }
    }
}
