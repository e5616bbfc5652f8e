using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Dean.ServiceDefaults.Http;

/// <summary>
/// The runbook's <c>curl -d '{...}'</c> lines send JSON without <c>-H 'Content-Type: application/json'</c>, so curl labels
/// it <c>application/x-www-form-urlencoded</c>. No DEAN endpoint takes a form: an API request whose body comes with that
/// type, or with none, is read as the JSON it is (and a body that is not JSON still gets the binder's 400).
/// </summary>
public static class JsonBodyWithoutContentType
{
    public static IApplicationBuilder UseJsonBodyWithoutContentType(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var request = context.Request;
        if (request.Path.StartsWithSegments("/api") && HasBody(request)
            && (string.IsNullOrEmpty(request.ContentType) || request.ContentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)))
            request.Headers.ContentType = "application/json";
        return next(context);
    });

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
}
