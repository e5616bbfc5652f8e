using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

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

    /// <summary>
    /// This service's own signing seed (an Aspire secret parameter, at least 32 bytes), from which its ES256 key is derived:
    /// the Orchestrator's (<c>jwt-signing-key</c>) signs users' and its own tokens, the IndexAgent's
    /// (<c>indexagent-signing-key</c>) only its service identity. Empty for a service that calls no other.
    /// </summary>
    public string SigningKey { get; set; } = "";

    /// <summary>The public key (base64 SubjectPublicKeyInfo) of every service whose tokens this one accepts, by service name.</summary>
    public Dictionary<string, string> TrustedKeys { get; set; } = new(StringComparer.Ordinal);

    public int AccessTokenMinutes { get; set; } = 60;
    public int RefreshTokenDays { get; set; } = 14;
}

public static class AuthExtensions
{
    public static IHostApplicationBuilder AddDeanAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<JwtOptions>().Bind(builder.Configuration.GetSection(JwtOptions.Section))
            .Validate(o => o.SigningKey.Length == 0 || Encoding.UTF8.GetByteCount(o.SigningKey) >= 32, "Auth:SigningKey must be at least 32 bytes")
            .Validate(o => o.TrustedKeys.ContainsKey(SigningKeys.Orchestrator),
                "Auth:TrustedKeys:orchestrator (the Orchestrator's public key, which the AppHost hands out) is missing")
            .ValidateOnStart();
        builder.Services.AddSingleton<SigningKeyRing>();
        builder.Services.AddHostedService<SigningKeyRefresher>();
        builder.Services.AddSingleton<TokenIssuer>();
        builder.Services.AddSingleton<ServiceTokenProvider>();

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<SigningKeyRing, ServiceIdentity>((bearer, ring, self) =>
            {
                bearer.MapInboundClaims = false;
                bearer.TokenValidationParameters = TokenIssuer.ValidationParameters(ring, self.Name);
                bearer.Events = new JwtBearerEvents
                {
                    // A valid signature is not enough: a key signs only what its holder may say (TokenIssuer.Refusal).
                    OnTokenValidated = context =>
                    {
                        if (context.SecurityToken is JsonWebToken token && TokenIssuer.Refusal(token, self.Name) is { } refusal) context.Fail(refusal);
                        return Task.CompletedTask;
                    },
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

        builder.Services.AddDeanPolicies();
        return builder;
    }

    /// <summary>The policies every service and the console authorize with: any authenticated caller by default, and <see cref="Policies"/>.</summary>
    public static AuthorizationBuilder AddDeanPolicies(this IServiceCollection services) => services.AddAuthorizationBuilder()
        .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
        .AddPolicy(Policies.Viewer, p => p.RequireRole(Roles.Viewer, Roles.Operator, Roles.Admin, Roles.Service))
        .AddPolicy(Policies.Operator, p => p.RequireRole(Roles.Operator, Roles.Admin, Roles.Service))
        .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin))
        .AddPolicy(Policies.AdminOrService, p => p.RequireRole(Roles.Admin, Roles.Service));

    public static string? Role(this ClaimsPrincipal user) => user.FindFirst(TokenIssuer.RoleClaim)?.Value;
}
