using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Dean.ServiceDefaults.Auth;

/// <summary>Issues and describes DEAN's HS256 access tokens (users at login, services for their own calls).</summary>
/// <remarks>With a <see cref="SigningKeyRing"/> (every service) tokens are signed with the current epoch's key; without
/// one (benchmarks) with the configured key, which is epoch 0's.</remarks>
public sealed class TokenIssuer(IOptions<JwtOptions> options, TimeProvider time, SigningKeyRing? ring = null)
{
    public const string RoleClaim = "role";
    public const string SubjectClaim = "sub";
    private readonly JsonWebTokenHandler _handler = new();

    public TimeSpan AccessTokenLifetime => TimeSpan.FromMinutes(options.Value.AccessTokenMinutes);

    public string Issue(string subject, string role, TimeSpan? lifetime = null)
    {
        var jwt = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = jwt.Issuer,
            Audience = jwt.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? AccessTokenLifetime),
            Subject = new ClaimsIdentity([new Claim(SubjectClaim, subject), new Claim(RoleClaim, role), new Claim("jti", Guid.NewGuid().ToString("N"))]),
            SigningCredentials = new SigningCredentials(ring?.Key ?? jwt.SecurityKey(), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>Validation against the ring's current key when there is a ring, else the configured key.</summary>
    public static TokenValidationParameters ValidationParameters(JwtOptions jwt, SigningKeyRing? ring = null) => new()
    {
        ValidIssuer = jwt.Issuer,
        ValidAudience = jwt.Audience,
        IssuerSigningKey = ring is null ? jwt.SecurityKey() : null,
        IssuerSigningKeyResolver = ring is null ? null : (_, _, _, _) => [ring.Key],
        ValidateIssuerSigningKey = true,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        RoleClaimType = RoleClaim,
        NameClaimType = SubjectClaim,
        ClockSkew = TimeSpan.FromSeconds(30),
    };
}
