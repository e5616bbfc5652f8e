using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dean.Contracts;
using Dean.Contracts.Orchestrator;

namespace Dean.Cli;

/// <summary>The three services `dean` talks to.</summary>
public enum Service { Orchestrator, IndexAgent, Economy }

/// <summary>A service answered with a ProblemDetails (or another failure status): what `dean` prints and exits 1 on.</summary>
public sealed class ApiProblem(HttpStatusCode status, string type, string title, string? detail) : Exception(detail ?? title)
{
    public HttpStatusCode Status { get; } = status;
    public string Type { get; } = type;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;
}

/// <summary>
/// The HTTP side of `dean`: one client per service, the signed-in bearer token on every request, and one refresh
/// (with the saved refresh token) when a service answers 401, so a long <c>--watch</c> outlives an access token.
/// </summary>
public sealed class DeanApi(Endpoints endpoints, string configDirectory, HttpMessageHandler? handler = null) : IDisposable
{
    private readonly HttpClient _http = handler is null ? new HttpClient { Timeout = TimeSpan.FromMinutes(5) } : new HttpClient(handler, false) { Timeout = TimeSpan.FromMinutes(5) };
    private string? _accessToken = endpoints.Token;

    public Endpoints Endpoints => endpoints;

    public Task<T> GetAsync<T>(Service service, string path, CancellationToken ct) =>
        SendAsync<T>(service, () => new HttpRequestMessage(HttpMethod.Get, Url(service, path)), ct);

    public Task<T> PostAsync<T>(Service service, string path, object? body, CancellationToken ct) =>
        SendAsync<T>(service, () => new HttpRequestMessage(HttpMethod.Post, Url(service, path)) { Content = JsonContent.Create(body ?? new { }, options: DeanJson.Options) }, ct);

    public Task<T> PutAsync<T>(Service service, string path, object body, CancellationToken ct) =>
        SendAsync<T>(service, () => new HttpRequestMessage(HttpMethod.Put, Url(service, path)) { Content = JsonContent.Create(body, options: DeanJson.Options) }, ct);

    /// <summary>A text resource (a patch).</summary>
    public async Task<string> GetTextAsync(Service service, string path, CancellationToken ct)
    {
        using var response = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Get, Url(service, path)), ct);
        await EnsureSuccessAsync(response, ct);
        return await response.Content.ReadAsStringAsync(ct);
    }

    /// <summary>A service's public <c>/health</c>, answered with 200 or 503: both carry the report.</summary>
    public async Task<HealthResponse> HealthAsync(Service service, CancellationToken ct)
    {
        using var response = await _http.GetAsync(Url(service, "/health"), ct);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable)) await EnsureSuccessAsync(response, ct);
        return await response.Content.ReadFromJsonAsync<HealthResponse>(DeanJson.Options, ct) ?? throw new InvalidDataException("an empty health report");
    }

    /// <summary>Signs in at the Orchestrator; the tokens are used for the rest of this run.</summary>
    public async Task<TokenResponse> LoginAsync(string username, string password, CancellationToken ct)
    {
        using var response = await _http.PostAsJsonAsync(Url(Service.Orchestrator, "/api/v1/auth/login"), new LoginRequest(username, password), DeanJson.Options, ct);
        await EnsureSuccessAsync(response, ct);
        var tokens = await response.Content.ReadFromJsonAsync<TokenResponse>(DeanJson.Options, ct) ?? throw new InvalidDataException("an empty sign-in answer");
        _accessToken = tokens.AccessToken;
        return tokens;
    }

    private Uri Url(Service service, string path) => new(new Uri(endpoints.For(service)), path);

    private async Task<T> SendAsync<T>(Service service, Func<HttpRequestMessage> request, CancellationToken ct)
    {
        using var response = await SendRawAsync(request, ct);
        await EnsureSuccessAsync(response, ct);
        return await response.Content.ReadFromJsonAsync<T>(DeanJson.Options, ct)
               ?? throw new InvalidDataException($"the {service} answered with an empty body");
    }

    private async Task<HttpResponseMessage> SendRawAsync(Func<HttpRequestMessage> build, CancellationToken ct)
    {
        var response = await _http.SendAsync(Authorized(build()), ct);
        if (response.StatusCode != HttpStatusCode.Unauthorized || !await RefreshAsync(ct)) return response;
        response.Dispose();
        return await _http.SendAsync(Authorized(build()), ct);
    }

    private HttpRequestMessage Authorized(HttpRequestMessage request)
    {
        if (_accessToken is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _accessToken);
        return request;
    }

    /// <summary>Exchanges the saved refresh token for new tokens and saves them; false when there is none or it was refused.</summary>
    private async Task<bool> RefreshAsync(CancellationToken ct)
    {
        var profile = Profile.Load(configDirectory);
        if (profile.RefreshToken is null || endpoints.Token is not null && endpoints.Token != profile.AccessToken) return false;
        using var response = await _http.PostAsJsonAsync(Url(Service.Orchestrator, "/api/v1/auth/refresh"), new RefreshRequest(profile.RefreshToken), DeanJson.Options, ct);
        if (!response.IsSuccessStatusCode) return false;
        var tokens = await response.Content.ReadFromJsonAsync<TokenResponse>(DeanJson.Options, ct);
        if (tokens is null) return false;
        _accessToken = tokens.AccessToken;
        (profile with { AccessToken = tokens.AccessToken, RefreshToken = tokens.RefreshToken }).Save(configDirectory);
        return true;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(ct);
        string type = ((int)response.StatusCode).ToString(), title = response.ReasonPhrase ?? type;
        string? detail = null;
        try
        {
            using var problem = JsonDocument.Parse(body);
            var root = problem.RootElement;
            if (root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String) type = t.GetString()!;
            if (root.TryGetProperty("title", out var ti) && ti.ValueKind == JsonValueKind.String) title = ti.GetString()!;
            if (root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String) detail = d.GetString();
            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                detail = string.Join("; ", errors.EnumerateObject().Select(e => $"{e.Name}: {string.Join(", ", e.Value.EnumerateArray().Select(v => v.GetString()))}"));
        }
        catch (JsonException)
        {
            detail = body.Length > 0 ? body : null;
        }
        throw new ApiProblem(response.StatusCode, type, title, detail);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Where the three services are, and the token to present (null: sign in first).</summary>
public sealed record Endpoints(string Orchestrator, string IndexAgent, string Economy, string? Token)
{
    public string For(Service service) => service switch
    {
        Service.Orchestrator => Orchestrator,
        Service.IndexAgent => IndexAgent,
        Service.Economy => Economy,
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };
}
