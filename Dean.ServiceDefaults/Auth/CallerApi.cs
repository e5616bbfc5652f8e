using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dean.ServiceDefaults.Auth;

public static class CallerApi
{
    /// <summary><c>GET /api/v1/auth/me</c>: who this service believes the caller is (any valid token).</summary>
    public static IEndpointRouteBuilder MapCallerApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/auth/me", (HttpContext context, ServiceIdentity service) =>
                TypedResults.Ok(new Caller(context.User.FindFirst(TokenIssuer.SubjectClaim)?.Value ?? "", context.User.Role() ?? "", service.Name)))
            .RequireAuthorization()
            .WithName("GetCaller")
            .WithSummary("The caller's identity as this service sees it")
            .WithTags("Auth");
        return app;
    }

    public sealed record Caller(string Username, string Role, string Service);
}
