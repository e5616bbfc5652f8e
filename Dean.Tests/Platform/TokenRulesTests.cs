using System.Security.Claims;
using Dean.ServiceDefaults.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Dean.Tests.Platform;

public sealed class TokenRulesTests
{
    private const string Seed = "a-seed-of-at-least-thirty-two-bytes-for-tests";

    private static JsonWebToken Token(string keyId, string issuer, string subject, string role, string audience)
    {
        var handler = new JsonWebTokenHandler();
        var key = new ECDsaSecurityKey(SigningKeys.Derive(Seed, keyId)) { KeyId = keyId };
        return handler.ReadJsonWebToken(handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("role", role)]),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        }));
    }

    [Fact]
    public void A_key_signs_only_what_its_holder_may_say()
    {
        Assert.Null(TokenIssuer.Refusal(Token("orchestrator-3", "dean-orchestrator", "alice", "admin", "dean"), "economy"));
        Assert.Null(TokenIssuer.Refusal(Token("orchestrator-0", "dean-orchestrator", "svc:orchestrator", "service", "dean-economy"), "economy"));
        Assert.Null(TokenIssuer.Refusal(Token("indexagent", "dean-indexagent", "svc:indexagent", "service", "dean-economy"), "economy"));

        Assert.NotNull(TokenIssuer.Refusal(Token("indexagent", "dean-indexagent", "alice", "admin", "dean"), "economy"));
        Assert.NotNull(TokenIssuer.Refusal(Token("indexagent", "dean-indexagent", "svc:orchestrator", "service", "dean-economy"), "economy"));
        Assert.NotNull(TokenIssuer.Refusal(Token("indexagent", "dean-indexagent", "svc:indexagent", "service", "dean-economy"), "orchestrator"));
        Assert.NotNull(TokenIssuer.Refusal(Token("indexagent", "dean-orchestrator", "svc:indexagent", "service", "dean-economy"), "economy"));
        Assert.NotNull(TokenIssuer.Refusal(Token("orchestrator-1", "dean-orchestrator", "alice", "admin", "dean-economy"), "economy"));
    }

    [Fact]
    public void Keys_are_derived_deterministically_and_epochs_are_certified_by_the_root_only()
    {
        Assert.Equal(SigningKeys.PublicKeyOf(Seed, "orchestrator"), SigningKeys.PublicKeyOf(Seed, "orchestrator"));
        Assert.NotEqual(SigningKeys.PublicKeyOf(Seed, "orchestrator"), SigningKeys.PublicKeyOf(Seed, "indexagent"));
        Assert.NotEqual(SigningKeys.PublicKeyOf(Seed, "orchestrator"), SigningKeys.PublicKeyOf(Seed + "x", "orchestrator"));
        Assert.Throws<InvalidOperationException>(() => SigningKeys.Derive("short", "orchestrator"));

        using var root = SigningKeys.Derive(Seed, SigningKeys.EpochLabel(0, null));
        using var rootPublic = SigningKeys.ImportPublicKey(SigningKeys.PublicKey(root));
        var epochKey = SigningKeys.PublicKeyOf(Seed, SigningKeys.EpochLabel(4, "salt"));
        var certificate = SigningKeys.Certify(root, 4, epochKey);
        Assert.True(SigningKeys.IsCertified(rootPublic, 4, epochKey, certificate));
        Assert.False(SigningKeys.IsCertified(rootPublic, 5, epochKey, certificate));
        Assert.False(SigningKeys.IsCertified(rootPublic, 4, SigningKeys.PublicKeyOf(Seed, "other"), certificate));
        using var other = SigningKeys.Derive(Seed, "indexagent");
        Assert.False(SigningKeys.IsCertified(rootPublic, 4, epochKey, SigningKeys.Certify(other, 4, epochKey)));
        Assert.False(SigningKeys.IsCertified(rootPublic, 4, epochKey, null));
        Assert.False(SigningKeys.IsCertified(rootPublic, 4, epochKey, "not base64!"));
    }
}
