using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Dean.Orchestrator.Auth;

/// <summary>Limits on failed sign-ins (<c>Orchestrator:SignIn</c>).</summary>
public sealed class SignInOptions
{
    public const string Section = "Orchestrator:SignIn";

    /// <summary>Failed sign-ins one user may have per window before further attempts get 429.</summary>
    public int FailuresPerUser { get; set; } = 10;

    /// <summary>Failed sign-ins one client address may have per window: higher, since one address may serve many users.</summary>
    public int FailuresPerAddress { get; set; } = 30;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Failed sign-ins (login, refresh, Basic) are limited per user and per client address separately: once either has used
/// its failures for the window, further attempts get 429 before any password hash is computed. Successes cost nothing,
/// so a busy legitimate user is never throttled. The limiters are the fixed windows of System.Threading.RateLimiting
/// (what <c>AddRateLimiter</c> is built on), consumed at the point of failure because the rate-limiting middleware sees
/// requests, not their outcome.
/// </summary>
public sealed class CredentialThrottle(IOptions<SignInOptions> options) : IDisposable
{
    private readonly SignInOptions _options = options.Value;
    private readonly PartitionedRateLimiter<string> _users = Limiter(options.Value.FailuresPerUser, options.Value.Window);
    private readonly PartitionedRateLimiter<string> _addresses = Limiter(options.Value.FailuresPerAddress, options.Value.Window);

    public TimeSpan Window => _options.Window;

    /// <summary>
    /// One sign-in attempt: <paramref name="verify"/> runs unless the user or the address is blocked, and a null answer
    /// (wrong password, unknown refresh token) counts as a failure of both.
    /// </summary>
    public async Task<(bool Blocked, T? Signed)> AttemptAsync<T>(string? username, IPAddress? address, Func<Task<T?>> verify) where T : class
    {
        if (IsBlocked(username, address)) return (true, null);
        var signed = await verify();
        if (signed is null) RecordFailure(username, address);
        return (false, signed);
    }

    private bool IsBlocked(string? username, IPAddress? address) =>
        (UserKey(username) is { } user && _users.GetStatistics(user) is { CurrentAvailablePermits: <= 0 })
        || _addresses.GetStatistics(AddressKey(address)) is { CurrentAvailablePermits: <= 0 };

    private void RecordFailure(string? username, IPAddress? address)
    {
        if (UserKey(username) is { } user) _users.AttemptAcquire(user).Dispose();
        _addresses.AttemptAcquire(AddressKey(address)).Dispose();
    }

    public string Describe() =>
        $"more than {_options.FailuresPerUser} failed sign-ins for this user, or {_options.FailuresPerAddress} from this address, within {_options.Window.TotalSeconds:F0} s";

    private static string? UserKey(string? username) => string.IsNullOrEmpty(username) ? null : username.ToLowerInvariant();

    private static string AddressKey(IPAddress? address) => address?.ToString() ?? "unknown";

    private static PartitionedRateLimiter<string> Limiter(int failures, TimeSpan window) => PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = failures,
            Window = window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public void Dispose()
    {
        _users.Dispose();
        _addresses.Dispose();
    }
}
