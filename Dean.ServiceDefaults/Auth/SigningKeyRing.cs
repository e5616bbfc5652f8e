using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Dean.ServiceDefaults.Auth;

/// <summary>
/// The signing key in force. The configured secret (<c>Auth:SigningKey</c>) is the master; the key that signs and
/// validates tokens is derived from it and the current epoch's random salt in PostgreSQL (<c>auth_signing_epochs</c>,
/// written by the orchestrator's <c>POST /auth/rotate-keys</c>). Rotating makes a new salt, so every token signed
/// before stops validating on every service, without redistributing the secret. Epoch 0 (no rotation yet, or no
/// database) is the master key itself. Each service re-reads the epoch at most every <see cref="Freshness"/>.
/// </summary>
public sealed class SigningKeyRing(IOptions<JwtOptions> options, IServiceProvider services, TimeProvider time, ILogger<SigningKeyRing> logger)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile State? _state;

    private sealed record State(long Epoch, SymmetricSecurityKey Key, DateTimeOffset CheckedAt);

    /// <summary>The current epoch (0 before the first rotation).</summary>
    public long Epoch => Current().Epoch;

    public SymmetricSecurityKey Key => Current().Key;

    private State Current() => _state ?? new State(0, options.Value.SecurityKey(), DateTimeOffset.MinValue);

    /// <summary>Derives an epoch's key: HMAC-SHA256 of the salt under the master secret (epoch 0: the master itself).</summary>
    public static SymmetricSecurityKey Derive(JwtOptions jwt, long epoch, string? salt)
    {
        if (epoch == 0 || string.IsNullOrEmpty(salt)) return jwt.SecurityKey();
        using var hmac = new HMACSHA256(jwt.SecurityKey().Key);
        return new SymmetricSecurityKey(hmac.ComputeHash(Encoding.UTF8.GetBytes($"dean-epoch:{epoch}:{salt}"))) { KeyId = $"epoch-{epoch}" };
    }

    /// <summary>Re-reads the epoch when the cached one is older than <see cref="Freshness"/> (or always, when forced).</summary>
    public async Task RefreshAsync(bool force, CancellationToken ct)
    {
        if (!force && _state is { } s && time.GetUtcNow() - s.CheckedAt < Freshness) return;
        await _refresh.WaitAsync(ct);
        try
        {
            if (!force && _state is { } again && time.GetUtcNow() - again.CheckedAt < Freshness) return;
            var (epoch, salt) = await ReadAsync(ct);
            var previous = _state?.Epoch;
            var key = previous == epoch && _state is { } same ? same.Key : Derive(options.Value, epoch, salt);
            _state = new State(epoch, key, time.GetUtcNow());
            if (previous is { } p && p != epoch) logger.LogWarning("Signing key rotated: epoch {Previous} -> {Epoch}; tokens of the old epoch are now refused", p, epoch);
        }
        finally
        {
            _refresh.Release();
        }
    }

    private async Task<(long Epoch, string? Salt)> ReadAsync(CancellationToken ct)
    {
        var db = services.GetService<NpgsqlDataSource>();
        if (db is null) return (0, null);
        try
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            // Until the orchestrator's migration created the table nothing was ever rotated (and asking would log errors).
            if (!await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('auth_signing_epochs') IS NOT NULL")) return (0, null);
            var row = await connection.QuerySingleOrDefaultAsync<(long Epoch, string Salt)?>(
                "SELECT epoch, salt FROM auth_signing_epochs ORDER BY epoch DESC LIMIT 1");
            return row is { } r ? (r.Epoch, r.Salt) : (0, null);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // The orchestrator's migration has not run yet: nothing was ever rotated.
            return (0, null);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException && _state is not null)
        {
            // Keep the last known key through a database hiccup rather than refusing every request.
            logger.LogWarning(ex, "Could not re-read the signing epoch; keeping epoch {Epoch}", _state!.Epoch);
            return (_state.Epoch, null);
        }
    }
}

/// <summary>Keeps every service's key ring fresh, so a rotation reaches all of them within seconds even when idle.</summary>
internal sealed class SigningKeyRefresher(SigningKeyRing ring, ILogger<SigningKeyRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SigningKeyRing.Freshness);
        do
        {
            try
            {
                await ring.RefreshAsync(force: true, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Signing key refresh failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
