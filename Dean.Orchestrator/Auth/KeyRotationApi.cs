using System.Security.Cryptography;
using Dapper;
using Dean.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Dean.Orchestrator.Auth;

/// <summary><c>POST /api/v1/auth/rotate-keys</c>: a new signing epoch; every token signed before stops validating everywhere.</summary>
public static class KeyRotationApi
{
    public sealed record RotateResponse(long Epoch, DateTime RotatedAt, int RefreshTokensRevoked, int PropagationSeconds);

    public static IEndpointRouteBuilder MapKeyRotationApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/auth/rotate-keys", RotateAsync).RequireAuthorization(Policies.Admin)
            .WithName("RotateKeys").WithSummary("Rotate the signing key: every access and refresh token issued before stops working (admin)")
            .WithTags("Auth");
        return app;
    }

    private static async Task<Ok<RotateResponse>> RotateAsync(HttpContext http, NpgsqlDataSource db, SigningKeyRing ring, ServiceTokenProvider serviceTokens, CancellationToken ct)
    {
        var by = http.User.FindFirst(TokenIssuer.SubjectClaim)?.Value ?? "unknown";
        var salt = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Serialises concurrent rotations so epochs stay dense and increasing.
        await connection.ExecuteAsync("LOCK TABLE auth_signing_epochs IN EXCLUSIVE MODE", transaction: tx);
        var epoch = await connection.ExecuteScalarAsync<long>("SELECT coalesce(max(epoch), 0) + 1 FROM auth_signing_epochs", transaction: tx);
        var (publicKey, certificate) = ring.Certify(epoch, salt);
        var at = await connection.ExecuteScalarAsync<DateTime>("""
            INSERT INTO auth_signing_epochs (epoch, salt, rotated_by, public_key, certificate)
            VALUES (@epoch, @salt, @by, @publicKey, @certificate)
            RETURNING created_at
            """, new { epoch, salt, by, publicKey, certificate }, tx);
        // Refresh tokens are opaque rows, not JWTs: revoke them too, or an old session could mint new access tokens.
        var revoked = await connection.ExecuteAsync("UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL", transaction: tx);
        await tx.CommitAsync(ct);
        await ring.RefreshAsync(force: true, ct);
        serviceTokens.Reset();
        return TypedResults.Ok(new RotateResponse(epoch, at, revoked, (int)Math.Ceiling(SigningKeyRing.Freshness.TotalSeconds)));
    }
}
