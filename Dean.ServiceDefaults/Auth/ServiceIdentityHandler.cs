using System.Net.Http.Headers;

namespace Dean.ServiceDefaults.Auth;

/// <summary>This service's own identity token (<c>sub=svc:{name}</c>, role <c>service</c>), short-lived and renewed early.</summary>
/// <remarks>A token of an older signing epoch is never handed out: after a key rotation the next call gets a new one.</remarks>
public sealed class ServiceTokenProvider(TokenIssuer issuer, ServiceIdentity identity, TimeProvider time, SigningKeyRing? ring = null)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private readonly Lock _gate = new();
    private (string Token, DateTimeOffset RenewAt, long Epoch)? _cached;

    public string Current()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var epoch = ring?.Epoch ?? 0;
            if (_cached is { } cached && cached.RenewAt > now && cached.Epoch == epoch) return cached.Token;
            var token = issuer.Issue($"svc:{identity.Name}", Roles.Service, Lifetime);
            _cached = (token, now + Lifetime / 2, epoch);
            return token;
        }
    }

    /// <summary>Forgets the cached token, e.g. after the signing key was rotated.</summary>
    public void Reset()
    {
        lock (_gate) _cached = null;
    }
}

/// <summary>Signs calls to other DEAN services with this service's identity, never forwarding a user's token.</summary>
public sealed class ServiceIdentityHandler(ServiceTokenProvider tokens) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Current());
        return base.SendAsync(request, cancellationToken);
    }
}
