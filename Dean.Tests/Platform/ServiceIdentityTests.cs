using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using Dapper;
using Dean.ServiceDefaults.Auth;
using Dean.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Dean.Tests.Platform;

/// <summary>
/// Asymmetric tokens (issue 12): the IndexAgent, which runs untrusted code, holds a key that signs only its own service
/// identity; what it signs beyond that, and what the old shared HS256 secret signs, is refused by every service.
/// </summary>
[Collection(DeanAppCollection.Name)]
public sealed class ServiceIdentityTests(DeanAppFixture fx)
{
    private static readonly JsonWebTokenHandler Handler = new();

    private string Sign(SigningCredentials credentials, string issuer, string subject, string role, string audience)
    {
        var now = DateTime.UtcNow;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(5),
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("role", role)]),
            SigningCredentials = credentials,
        });
    }

    private SigningCredentials IndexAgentKey(string keyId) =>
        new(new ECDsaSecurityKey(SigningKeys.Derive(fx.IndexAgentSigningKey, "indexagent")) { KeyId = keyId }, SecurityAlgorithms.EcdsaSha256);

    private async Task<HttpStatusCode> MeAsync(string service, string token)
    {
        var client = fx.Client(service);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (await client.GetAsync("/api/v1/auth/me")).StatusCode;
    }

    [Fact]
    public async Task An_admin_token_forged_with_the_IndexAgents_key_is_refused_by_every_service()
    {
        // The key id of the Orchestrator's key in force, read from a real token.
        var epochKeyId = Handler.ReadJsonWebToken(await fx.TokenAsync("admin")).Kid;
        var forgeries = new Dictionary<string, string>
        {
            ["under its own key id"] = Sign(IndexAgentKey("indexagent"), "dean-indexagent", "mallory", "admin", "dean"),
            ["posing as the Orchestrator's key"] = Sign(IndexAgentKey(epochKeyId), "dean-orchestrator", "mallory", "admin", "dean"),
            ["as a service token of another identity"] = Sign(IndexAgentKey("indexagent"), "dean-indexagent", "svc:orchestrator", "service", "dean-economy"),
            ["with the old shared HS256 secret"] = Sign(new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(fx.SigningKey)), SecurityAlgorithms.HmacSha256),
                "dean-orchestrator", "mallory", "admin", "dean"),
        };
        foreach (var service in DeanAppFixture.Services)
            foreach (var (how, token) in forgeries)
                Assert.True(await MeAsync(service, token) == HttpStatusCode.Unauthorized, $"{service} accepted an admin token forged {how}");
    }

    [Fact]
    public async Task The_IndexAgents_service_token_is_accepted_only_by_the_service_it_names()
    {
        var forEconomy = Sign(IndexAgentKey("indexagent"), "dean-indexagent", "svc:indexagent", "service", "dean-economy");
        Assert.Equal(HttpStatusCode.OK, await MeAsync("economy", forEconomy));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync("orchestrator", forEconomy));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync("indexagent", forEconomy));
    }

    [Fact]
    public async Task An_epoch_row_that_the_Orchestrator_did_not_certify_is_ignored_by_every_service()
    {
        var before = await fx.TokenAsync("admin");
        var connectionString = new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Database = "agent_evolution" }.ConnectionString;
        await using (var db = new NpgsqlConnection(connectionString))
        {
            // Someone with write access to the table, but not the Orchestrator's seed, adds an epoch with their own key.
            var salt = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            using var attacker = SigningKeys.Derive(fx.IndexAgentSigningKey, "attacker");
            var epoch = await db.ExecuteScalarAsync<long>("SELECT coalesce(max(epoch), 0) + 1 FROM auth_signing_epochs");
            var publicKey = SigningKeys.PublicKey(attacker);
            await db.ExecuteAsync("INSERT INTO auth_signing_epochs (epoch, salt, rotated_by, public_key, certificate) VALUES (@epoch, @salt, 'mallory', @publicKey, @certificate)",
                new { epoch, salt, publicKey, certificate = SigningKeys.Certify(attacker, epoch, publicKey) });
            try
            {
                await Task.Delay(SigningKeyRing.Freshness * 3);
                var forged = Sign(new SigningCredentials(new ECDsaSecurityKey(attacker) { KeyId = $"orchestrator-{epoch}" }, SecurityAlgorithms.EcdsaSha256),
                    "dean-orchestrator", "mallory", "admin", "dean");
                foreach (var service in DeanAppFixture.Services)
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(service, forged));
                    Assert.Equal(HttpStatusCode.OK, await MeAsync(service, before));
                }
            }
            finally
            {
                await db.ExecuteAsync("DELETE FROM auth_signing_epochs WHERE epoch = @epoch", new { epoch });
            }
        }
    }
}
