using System.Net.Http.Headers;

namespace Dean.ServiceDefaults.Auth;

/// <summary>
/// This service's own identity token for one callee (<c>sub=svc:{name}</c>, role <c>service</c>, audience
/// <c>dean-{callee}</c>), short-lived and renewed early.
/// </summary>
/// <remarks>A token of an older signing epoch is never handed out: after a key rotation the next call gets a new one.</remarks>
public sealed class ServiceTokenProvider(TokenIssuer issuer, ServiceIdentity identity, TimeProvider time, SigningKeyRing? ring = null)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string Token, DateTimeOffset RenewAt, long Epoch)> _cached = new(StringComparer.Ordinal);

    public string Current(string callee)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var epoch = ring?.Epoch ?? 0;
            if (_cached.TryGetValue(callee, out var cached) && cached.RenewAt > now && cached.Epoch == epoch) return cached.Token;
            var token = issuer.Issue($"svc:{identity.Name}", Roles.Service, Lifetime, TokenIssuer.ServiceAudience(callee));
            _cached[callee] = (token, now + Lifetime / 2, epoch);
            return token;
        }
    }

    /// <summary>Forgets the cached tokens, e.g. after the signing key was rotated.</summary>
    public void Reset()
    {
        lock (_gate) _cached.Clear();
    }
}

/// <summary>Signs calls to another DEAN service with this service's identity for that service, never forwarding a user's token.</summary>
public sealed class ServiceIdentityHandler(ServiceTokenProvider tokens, string callee) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Current(callee));
        return base.SendAsync(request, cancellationToken);
    }
}
