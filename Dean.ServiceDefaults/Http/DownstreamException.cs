using System.Net;
using System.Text.Json;

namespace Dean.ServiceDefaults.Http;

/// <summary>
/// A DEAN service answered with an error status. The ProblemDetails <c>type</c> and <c>detail</c> are read once, here,
/// so that every client tells a budget refusal from a busy agent the same way; the raw body is kept for logs.
/// </summary>
public sealed class DownstreamException(HttpStatusCode status, string? problemType, string? detail, string message, string body) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>The problem's machine-readable <c>type</c> (see <see cref="Dean.Contracts.ProblemTypes"/>), when the body was ProblemDetails.</summary>
    public string? ProblemType { get; } = problemType;

    public string? Detail { get; } = detail;

    public string Body { get; } = body;

    public bool Is(HttpStatusCode status, string problemType) => Status == status && ProblemType == problemType;

    /// <summary>Throws with the service's answer when the response is not a success.</summary>
    public static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        throw await FromAsync(response, ct);
    }

    public static async Task<DownstreamException> FromAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        string? type = null, detail = null;
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.ValueKind == JsonValueKind.Object)
            {
                type = problem.RootElement.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                detail = problem.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // Not ProblemDetails (a proxy's page, an empty body): the status and the raw body still say what happened.
        }
        var request = response.RequestMessage;
        return new DownstreamException(response.StatusCode, type, detail,
            $"{request?.Method} {request?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}: {detail ?? body}", body);
    }
}
