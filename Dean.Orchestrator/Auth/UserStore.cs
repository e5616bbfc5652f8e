using System.Security.Cryptography;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace Dean.Orchestrator.Auth;

public sealed record User(string Username, string Role, DateTime CreatedAt);

/// <summary>Users with PBKDF2-hashed passwords (ASP.NET Core Identity's hasher) and rotating refresh tokens.</summary>
public sealed class UserStore(NpgsqlDataSource db, TimeProvider time)
{
    /// <summary>The shortest password a user (the admin's from DEAN_ADMIN_PASSWORD included) may have.</summary>
    public const int MinPasswordLength = 12;

    private static readonly PasswordHasher<string> Hasher = new();

    private sealed record StoredUser(string Username, string PasswordHash, string Role, DateTime CreatedAt);

    public async Task<User?> VerifyAsync(string username, string password, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<StoredUser>(
            "SELECT username, password_hash AS passwordhash, role, created_at AS createdat FROM users WHERE username = @username", new { username });
        if (row is null)
        {
            // Hash anyway so that an unknown user costs as much time as a wrong password.
            Hasher.HashPassword(username, password);
            return null;
        }
        var verdict = Hasher.VerifyHashedPassword(row.Username, row.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed) return null;
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
            await SetPasswordAsync(row.Username, password, ct);
        return new User(row.Username, row.Role, row.CreatedAt);
    }

    public async Task<User?> FindAsync(string username, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<User>(
            "SELECT username, role, created_at AS createdat FROM users WHERE username = @username", new { username });
    }

    public async Task<IReadOnlyList<User>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<User>("SELECT username, role, created_at AS createdat FROM users ORDER BY username")).AsList();
    }

    /// <summary>Creates the user; false when the name is taken.</summary>
    public async Task<bool> CreateAsync(string username, string password, string role, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(
            "INSERT INTO users (username, password_hash, role) VALUES (@username, @hash, @role) ON CONFLICT (username) DO NOTHING",
            new { username, hash = Hasher.HashPassword(username, password), role }) == 1;
    }

    /// <summary>Creates or updates the user with this password and role.</summary>
    public async Task UpsertAsync(string username, string password, string role, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("""
            INSERT INTO users (username, password_hash, role) VALUES (@username, @hash, @role)
            ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role, updated_at = now()
            """, new { username, hash = Hasher.HashPassword(username, password), role });
    }

    public async Task<bool> ExistsAsync(string username, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM users WHERE username = @username)", new { username });
    }

    private async Task SetPasswordAsync(string username, string password, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("UPDATE users SET password_hash = @hash, updated_at = now() WHERE username = @username",
            new { username, hash = Hasher.HashPassword(username, password) });
    }

    /// <summary>A new opaque refresh token; only its hash is stored.</summary>
    public async Task<string> IssueRefreshTokenAsync(string username, TimeSpan lifetime, CancellationToken ct)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(
            "INSERT INTO refresh_tokens (token_hash, username, expires_at) VALUES (@hash, @username, @expires)",
            new { hash = Hash(token), username, expires = time.GetUtcNow().UtcDateTime + lifetime });
        return token;
    }

    /// <summary>Consumes a refresh token (each works once: rotation) and returns its user, or null when unknown, used or expired.</summary>
    public async Task<User?> RedeemRefreshTokenAsync(string token, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var username = await connection.ExecuteScalarAsync<string?>("""
            UPDATE refresh_tokens SET revoked_at = now()
            WHERE token_hash = @hash AND revoked_at IS NULL AND expires_at > now()
            RETURNING username
            """, new { hash = Hash(token) });
        return username is null ? null : await FindAsync(username, ct);
    }

    /// <summary>Revokes every refresh token (used when signing keys rotate).</summary>
    public async Task<int> RevokeAllRefreshTokensAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync("UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL");
    }

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
