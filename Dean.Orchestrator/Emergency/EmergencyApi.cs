using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dean.Orchestrator.Emergency;

public static class EmergencyApi
{
    public static IHostApplicationBuilder AddEmergency(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EmergencyStore>();
        builder.Services.AddTransient<EmergencyService>();
        return builder;
    }

    public static IEndpointRouteBuilder MapEmergencyApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/emergency").WithTags("Emergency").RequireAuthorization(Policies.Admin);
        api.MapPost("/stop-all", StopAllAsync)
            .WithName("EmergencyStopAll").WithSummary("Stop every cycle, pause every active agent, release every open reservation (admin)");
        api.MapPost("/resume", ResumeAsync)
            .WithName("EmergencyResume").WithSummary("Resume the agents the emergency stop paused and allow new cycles again (admin)");
        api.MapGet("/", StatusAsync)
            .WithName("EmergencyStatus").WithSummary("The emergency stop in force, if any (admin)");
        return app;
    }

    private static async Task<Ok<StopAllResult>> StopAllAsync(HttpContext http, EmergencyService emergency, CancellationToken ct) =>
        TypedResults.Ok(await emergency.StopAllAsync(Caller(http), ct));

    private static async Task<Results<Ok<ResumeResult>, ProblemHttpResult>> ResumeAsync(HttpContext http, EmergencyService emergency, CancellationToken ct) =>
        await emergency.ResumeAsync(Caller(http), ct) is { } result
            ? TypedResults.Ok(result)
            : Problems.Conflict("no_emergency_stop", "No emergency stop is in force.");

    private static async Task<Results<Ok<EmergencyStop>, ProblemHttpResult>> StatusAsync(EmergencyStore store, CancellationToken ct) =>
        await store.ActiveAsync(ct) is { } stop ? TypedResults.Ok(stop) : Problems.NotFound("No emergency stop is in force.");

    private static string Caller(HttpContext http) => http.User.FindFirst(TokenIssuer.SubjectClaim)?.Value ?? "unknown";
}
