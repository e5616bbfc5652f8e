using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Dean.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Dean.Orchestrator.Auth;

/// <summary>
/// HTTP Basic with DEAN's own users, so the runbook's Airflow commands (<c>curl --user admin:...</c>) keep working.
/// Bearer tokens stay the primary scheme; a request is routed to this one only when it carries Basic credentials on the
/// Airflow port's <c>dags</c> routes (<see cref="AirflowPort"/>). Failures count toward the <see cref="CredentialThrottle"/>;
/// once it blocks, the answer is 429 and no password hash is computed.
/// </summary>
public sealed class BasicAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, UserStore users,
    CredentialThrottle throttle)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Basic";
    public const string SelectorScheme = "dean";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header) || header.Scheme != SchemeName || header.Parameter is null)
            return AuthenticateResult.NoResult();
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return AuthenticateResult.Fail("Malformed Basic credentials");
        }
        var colon = decoded.IndexOf(':');
        if (colon <= 0) return AuthenticateResult.Fail("Malformed Basic credentials");
        var username = decoded[..colon];
        var (blocked, user) = await throttle.AttemptAsync(username, Context.Connection.RemoteIpAddress,
            () => users.VerifyAsync(username, decoded[(colon + 1)..], Context.RequestAborted));
        if (blocked)
        {
            Context.Items[Throttled] = true;
            return AuthenticateResult.Fail("Too many failed sign-ins");
        }
        if (user is null) return AuthenticateResult.Fail("Unknown user or wrong password");
        var identity = new ClaimsIdentity([new Claim(TokenIssuer.SubjectClaim, user.Username), new Claim(TokenIssuer.RoleClaim, user.Role)],
            SchemeName, TokenIssuer.SubjectClaim, TokenIssuer.RoleClaim);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private const string Throttled = "dean.basic.throttled";

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (!Context.Items.ContainsKey(Throttled)) return base.HandleChallengeAsync(properties);
        Response.StatusCode = StatusCodes.Status429TooManyRequests;
        Response.Headers.RetryAfter = ((int)Math.Ceiling(throttle.Window.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Adds the scheme and a selector that sends every request on the console port to the console's cookie, Basic
    /// credentials here, and everything else to the bearer handler: the cookie is read on the console port only.
    /// </summary>
    public static void Register(IServiceCollection services)
    {
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = SelectorScheme;
                o.DefaultAuthenticateScheme = SelectorScheme;
                o.DefaultChallengeScheme = SelectorScheme;
            })
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(SchemeName, null)
            .AddPolicyScheme(SelectorScheme, "Console cookie, Bearer or Basic", o => o.ForwardDefaultSelector = context =>
                OperatorConsole.ConsolePort.IsConsoleRequest(context) ? OperatorConsole.ConsoleAuthentication.Scheme
                : context.Request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) && AirflowPort.AcceptsBasic(context)
                    ? SchemeName
                    : JwtBearerDefaults.AuthenticationScheme);
    }
}
