using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Dean.ServiceDefaults.Auth;

/// <summary>
/// Issues and checks DEAN's ES256 access tokens: users' (signed by the Orchestrator, audience <c>dean</c>) and each
/// service's own identity (<c>sub=svc:{name}</c>, role <c>service</c>, audience <c>dean-{callee}</c>).
/// </summary>
/// <remarks>With a <see cref="SigningKeyRing"/> (every service) tokens are signed with this service's key in force;
/// without one (benchmarks) with the Orchestrator's root key derived from the configured seed.</remarks>
public sealed class TokenIssuer(IOptions<JwtOptions> options, TimeProvider time, SigningKeyRing? ring = null)
{
    public const string RoleClaim = "role";
    public const string SubjectClaim = "sub";

    /// <summary>The audience of users' tokens: every service accepts them.</summary>
    public const string UserAudience = "dean";

    private readonly JsonWebTokenHandler _handler = new();
    private readonly Lazy<SigningCredentials> _root = new(() => new SigningCredentials(
        new ECDsaSecurityKey(SigningKeys.Derive(options.Value.SigningKey, SigningKeys.EpochLabel(0, null))) { KeyId = SigningKeys.KeyId(SigningKeys.Orchestrator, 0) },
        SecurityAlgorithms.EcdsaSha256));

    /// <summary>The audience of a service token meant for <paramref name="service"/> only.</summary>
    public static string ServiceAudience(string service) => $"dean-{service}";

    /// <summary>The issuer a signer's tokens carry.</summary>
    public static string IssuerOf(string signer) => $"dean-{signer}";

    public TimeSpan AccessTokenLifetime => TimeSpan.FromMinutes(options.Value.AccessTokenMinutes);

    public string Issue(string subject, string role, TimeSpan? lifetime = null, string audience = UserAudience)
    {
        var signing = ring is null ? _root.Value : ring.Signing ?? throw new InvalidOperationException("this service has no signing key (Auth:SigningKey)");
        var signer = Signer(signing.Key.KeyId);
        var now = time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = IssuerOf(signer),
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? AccessTokenLifetime),
            Subject = new ClaimsIdentity([new Claim(SubjectClaim, subject), new Claim(RoleClaim, role), new Claim("jti", Guid.NewGuid().ToString("N"))]),
            SigningCredentials = signing,
        });
    }

    /// <summary>Signature, lifetime, issuer and audience as <paramref name="self"/> accepts them; <see cref="Refusal"/> checks the rest.</summary>
    public static TokenValidationParameters ValidationParameters(SigningKeyRing ring, string self) => new()
    {
        ValidIssuers = ring.Signers.Select(IssuerOf).ToList(),
        ValidAudiences = [UserAudience, ServiceAudience(self)],
        IssuerSigningKeyResolver = (_, _, keyId, _) => ring.Resolve(keyId),
        ValidateIssuerSigningKey = true,
        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        RoleClaimType = RoleClaim,
        NameClaimType = SubjectClaim,
        ClockSkew = TimeSpan.FromSeconds(30),
    };

    /// <summary>
    /// Why a token with a valid signature is still refused by <paramref name="self"/>, or null: a service's key signs only
    /// that service's identity; only the Orchestrator signs users; a service token is for the one service it names.
    /// </summary>
    public static string? Refusal(JsonWebToken token, string self)
    {
        var signer = Signer(token.Kid);
        if (token.Issuer != IssuerOf(signer)) return $"issuer {token.Issuer} does not match the {signer} key";
        var role = token.TryGetPayloadValue<string>(RoleClaim, out var r) ? r : null;
        var subject = token.Subject;
        var audiences = token.Audiences.ToList();
        if (role == Roles.Service)
        {
            if (!audiences.Contains(ServiceAudience(self))) return $"a service token for {string.Join(", ", audiences)}, not {self}";
            if (signer != SigningKeys.Orchestrator && subject != $"svc:{signer}") return $"the {signer} key signs only svc:{signer}";
            return null;
        }
        if (signer != SigningKeys.Orchestrator) return $"the {signer} key signs no user token";
        return audiences.Contains(UserAudience) ? null : "a user token without the dean audience";
    }

    private static string Signer(string? keyId) =>
        keyId is not null && keyId.StartsWith(SigningKeys.Orchestrator + "-", StringComparison.Ordinal) ? SigningKeys.Orchestrator : keyId ?? "";
}
