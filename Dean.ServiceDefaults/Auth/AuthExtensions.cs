using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Dean.ServiceDefaults.Auth;

/// <summary>The roles of DEAN. <c>service</c> is the identity services use to call each other.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Viewer = "viewer";
    public const string Service = "service";

    public static readonly string[] UserRoles = [Admin, Operator, Viewer];

    public static bool IsUserRole(string? role) => role is not null && UserRoles.Contains(role, StringComparer.Ordinal);
}

/// <summary>Authorization policies, each role including the weaker ones.</summary>
public static class Policies
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    /// <summary>Admins, and the services themselves acting for a schedule (ledger pruning by the maintenance job).</summary>
    public const string AdminOrService = "admin-or-service";
}

public sealed class JwtOptions
{
    public const string Section = "Auth";
    public string Issuer { get; set; } = "dean-orchestrator";
    public string Audience { get; set; } = "dean";

    /// <summary>HMAC key (at least 32 bytes), an Aspire secret parameter; never a constant in the repository.</summary>
    public string SigningKey { get; set; } = "";

    public int AccessTokenMinutes { get; set; } = 60;
    public int RefreshTokenDays { get; set; } = 14;

    public SymmetricSecurityKey SecurityKey()
    {
        var bytes = Encoding.UTF8.GetBytes(SigningKey);
        if (bytes.Length < 32)
            throw new InvalidOperationException("Auth:SigningKey is missing or shorter than 32 bytes; the AppHost passes it as the secret parameter 'jwt-signing-key'.");
        return new SymmetricSecurityKey(bytes);
    }
}

public static class AuthExtensions
{
    public static IHostApplicationBuilder AddDeanAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<JwtOptions>().Bind(builder.Configuration.GetSection(JwtOptions.Section))
            .Validate(o => Encoding.UTF8.GetByteCount(o.SigningKey) >= 32, "Auth:SigningKey must be at least 32 bytes")
            .ValidateOnStart();
        builder.Services.AddSingleton<SigningKeyRing>();
        builder.Services.AddHostedService<SigningKeyRefresher>();
        builder.Services.AddSingleton<TokenIssuer>();
        builder.Services.AddSingleton<ServiceTokenProvider>();

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<JwtOptions>, SigningKeyRing>((bearer, jwt, ring) =>
            {
                bearer.MapInboundClaims = false;
                bearer.TokenValidationParameters = TokenIssuer.ValidationParameters(jwt.Value, ring);
                bearer.Events = new JwtBearerEvents
                {
                    // Browsers reach the Hangfire dashboard with the token in a cookie set by /hangfire?access_token=.
                    OnMessageReceived = async context =>
                    {
                        if (context.Request.Path.StartsWithSegments("/hangfire"))
                        {
                            context.Token = context.Request.Query["access_token"].FirstOrDefault() ?? context.Request.Cookies["dean_access_token"];
                        }
                        // Cheap when fresh: the refresher re-reads the epoch every few seconds in the background.
                        try
                        {
                            await ring.RefreshAsync(force: false, context.HttpContext.RequestAborted);
                        }
                        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
                        {
                            // The database is down: validate with the last known key; the refresher keeps trying.
                        }
                    },
                };
            });

        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Policies.Viewer, p => p.RequireRole(Roles.Viewer, Roles.Operator, Roles.Admin, Roles.Service))
            .AddPolicy(Policies.Operator, p => p.RequireRole(Roles.Operator, Roles.Admin, Roles.Service))
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Policies.AdminOrService, p => p.RequireRole(Roles.Admin, Roles.Service));
        return builder;
    }

    public static string? Role(this ClaimsPrincipal user) => user.FindFirst(TokenIssuer.RoleClaim)?.Value;
}
