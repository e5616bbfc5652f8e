using System.Net.Http.Json;

namespace Dean.ServiceDefaults.Http;

/// <summary>
/// One call of another DEAN service that answers JSON: a failure becomes a <see cref="DownstreamException"/> (its
/// ProblemDetails type and detail), the body is read with DEAN's JSON conventions.
/// </summary>
public static class DeanJsonCalls
{
    public static async Task<T> GetDeanAsync<T>(this HttpClient http, string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(path, ct);
        return await ReadAsync<T>(response, ct);
    }

    public static async Task<T> PostDeanAsync<T>(this HttpClient http, string path, object body, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(path, body, Microsoft.Extensions.Hosting.Extensions.DeanJson, ct);
        return await ReadAsync<T>(response, ct);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        await DownstreamException.ThrowIfFailedAsync(response, ct);
        return (await response.Content.ReadFromJsonAsync<T>(Microsoft.Extensions.Hosting.Extensions.DeanJson, ct))!;
    }
}
