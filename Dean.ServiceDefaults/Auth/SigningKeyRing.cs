using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Dean.ServiceDefaults.Auth;

/// <summary>
/// The keys in force (DESIGN section 10). Tokens are ES256. The Orchestrator's key of the current signing epoch signs
/// users' tokens; epoch 0 (no rotation yet) is its root key, whose public half every service is given
/// (<c>Auth:TrustedKeys:orchestrator</c>). <c>POST /auth/rotate-keys</c> adds an epoch to <c>auth_signing_epochs</c>
/// with a random salt; the Orchestrator derives that epoch's key from its seed and the salt, and stores the public key
/// with the root key's signature over it. Other services switch to an epoch only when that signature verifies, so a row
/// that anyone else wrote is ignored, and every token signed before stops validating everywhere. The IndexAgent's
/// key signs only its own service identity and does not change with the epoch. Each service re-reads the epoch at most
/// every <see cref="Freshness"/>.
/// </summary>
public sealed class SigningKeyRing(IOptions<JwtOptions> options, ServiceIdentity self, IServiceProvider services, TimeProvider time, ILogger<SigningKeyRing> logger)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly Lazy<State> _initial = new(() => Initial(options.Value, self.Name));
    private readonly Lazy<IReadOnlyDictionary<string, SecurityKey>> _services = new(() => ServiceKeys(options.Value));
    private volatile State? _state;
    private long _ignoredEpoch = -1;

    private sealed record State(long Epoch, SecurityKey Orchestrator, SigningCredentials? Signing, DateTimeOffset CheckedAt);

    /// <summary>The current epoch (0 before the first rotation).</summary>
    public long Epoch => Current().Epoch;

    /// <summary>What this service signs its tokens with, or null when it has no key (a service that calls no other).</summary>
    public SigningCredentials? Signing => Current().Signing;

    /// <summary>The services whose keys are trusted here, the Orchestrator included.</summary>
    public IEnumerable<string> Signers => _services.Value.Keys.Append(SigningKeys.Orchestrator);

    /// <summary>The key a token's <c>kid</c> names, when it is trusted now: the current epoch's, or a service's.</summary>
    public IEnumerable<SecurityKey> Resolve(string? keyId)
    {
        var state = Current();
        if (keyId == SigningKeys.KeyId(SigningKeys.Orchestrator, state.Epoch)) return [state.Orchestrator];
        return keyId is not null && _services.Value.TryGetValue(keyId, out var key) ? [key] : [];
    }

    private State Current() => _state ?? _initial.Value;

    private static State Initial(JwtOptions jwt, string self)
    {
        var root = new ECDsaSecurityKey(SigningKeys.ImportPublicKey(jwt.TrustedKeys[SigningKeys.Orchestrator])) { KeyId = SigningKeys.KeyId(SigningKeys.Orchestrator, 0) };
        if (jwt.SigningKey.Length == 0) return new State(0, root, null, DateTimeOffset.MinValue);
        return new State(0, root, Credentials(SigningKeys.Derive(jwt.SigningKey, self), SigningKeys.KeyId(self, 0)), DateTimeOffset.MinValue);
    }

    private static IReadOnlyDictionary<string, SecurityKey> ServiceKeys(JwtOptions jwt) =>
        jwt.TrustedKeys.Where(k => k.Key != SigningKeys.Orchestrator).ToDictionary(k => k.Key,
            k => (SecurityKey)new ECDsaSecurityKey(SigningKeys.ImportPublicKey(k.Value)) { KeyId = k.Key }, StringComparer.Ordinal);

    private static SigningCredentials Credentials(ECDsa key, string keyId) =>
        new(new ECDsaSecurityKey(key) { KeyId = keyId }, SecurityAlgorithms.EcdsaSha256);

    /// <summary>The public key of an epoch's Orchestrator key and the root key's certificate of it (the Orchestrator only).</summary>
    public (string PublicKey, string Certificate) Certify(long epoch, string salt)
    {
        var seed = options.Value.SigningKey;
        if (self.Name != SigningKeys.Orchestrator || seed.Length == 0) throw new InvalidOperationException("only the Orchestrator certifies signing epochs");
        using var key = SigningKeys.Derive(seed, SigningKeys.EpochLabel(epoch, salt));
        using var root = SigningKeys.Derive(seed, SigningKeys.EpochLabel(0, null));
        var publicKey = SigningKeys.PublicKey(key);
        return (publicKey, SigningKeys.Certify(root, epoch, publicKey));
    }

    /// <summary>Re-reads the epoch when the cached one is older than <see cref="Freshness"/> (or always, when forced).</summary>
    public async Task RefreshAsync(bool force, CancellationToken ct)
    {
        if (!force && _state is { } s && time.GetUtcNow() - s.CheckedAt < Freshness) return;
        await _refresh.WaitAsync(ct);
        try
        {
            if (!force && _state is { } again && time.GetUtcNow() - again.CheckedAt < Freshness) return;
            var current = Current();
            var next = await ReadAsync(current, ct) ?? current;
            _state = next with { CheckedAt = time.GetUtcNow() };
            if (next.Epoch != current.Epoch)
                logger.LogWarning("Signing key rotated: epoch {Previous} -> {Epoch}; tokens of the old epoch are now refused", current.Epoch, next.Epoch);
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>The state of the latest epoch, or null to keep the current one.</summary>
    private async Task<State?> ReadAsync(State current, CancellationToken ct)
    {
        var db = services.GetService<NpgsqlDataSource>();
        if (db is null) return null;
        try
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            // Until the orchestrator's migration created the table nothing was ever rotated (and asking would log errors).
            if (!await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('auth_signing_epochs') IS NOT NULL")) return null;
            var row = await connection.QuerySingleOrDefaultAsync<(long Epoch, string Salt, string? PublicKey, string? Certificate, bool FromSharedKey)?>(
                "SELECT epoch, salt, public_key, certificate, from_shared_key FROM auth_signing_epochs ORDER BY epoch DESC LIMIT 1");
            if (row is not { } r) return null;
            if (r.Epoch == current.Epoch) return current;
            var jwt = options.Value;
            var orchestrator = self.Name == SigningKeys.Orchestrator && jwt.SigningKey.Length > 0;
            var (publicKey, certificate) = (r.PublicKey, r.Certificate);
            if (orchestrator && certificate is null && r.FromSharedKey)
            {
                // An epoch rotated under the shared HS256 key (an upgraded installation): certify it now.
                (publicKey, certificate) = Certify(r.Epoch, r.Salt);
                await connection.ExecuteAsync("UPDATE auth_signing_epochs SET public_key = @publicKey, certificate = @certificate WHERE epoch = @epoch",
                    new { publicKey, certificate, epoch = r.Epoch });
            }
            using var rootPublic = SigningKeys.ImportPublicKey(jwt.TrustedKeys[SigningKeys.Orchestrator]);
            if (publicKey is null || !SigningKeys.IsCertified(rootPublic, r.Epoch, publicKey, certificate))
            {
                if (Interlocked.Exchange(ref _ignoredEpoch, r.Epoch) != r.Epoch)
                    logger.LogError("Signing epoch {Epoch} is not certified by the Orchestrator's root key: ignored, epoch {Current} stays in force", r.Epoch, current.Epoch);
                return current;
            }
            var keyId = SigningKeys.KeyId(SigningKeys.Orchestrator, r.Epoch);
            if (!orchestrator) return new State(r.Epoch, new ECDsaSecurityKey(SigningKeys.ImportPublicKey(publicKey)) { KeyId = keyId }, current.Signing, default);
            var credentials = Credentials(SigningKeys.Derive(jwt.SigningKey, SigningKeys.EpochLabel(r.Epoch, r.Salt)), keyId);
            return new State(r.Epoch, credentials.Key, credentials, default);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn)
        {
            // The orchestrator's migration has not run yet.
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException && _state is not null)
        {
            // Keep the last known key through a database hiccup rather than refusing every request.
            logger.LogWarning(ex, "Could not re-read the signing epoch; keeping epoch {Epoch}", _state!.Epoch);
            return null;
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
