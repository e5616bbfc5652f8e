using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dean.IndexAgent.Targets;

public static class TargetsApi
{
    private static TargetResponse ToResponse(Target t) =>
        new(t.Name, t.Repository, t.Path, t.Head, t.IsDefault, new TaskFileResponse(t.Task.Name, t.Task.Evolve, t.Task.Evaluate, t.Task.Score, t.Task.TimeoutSeconds, t.Task.Format,
            t.Task.MaxIterations, t.Task.PopulationSize), t.CreatedAt,
            t.Task.Format);

    public static IHostApplicationBuilder AddTargets(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TargetStore>();
        builder.Services.AddSingleton<TargetService>();
        builder.Services.AddHostedService<DefaultTargetInitializer>();
        return builder;
    }

    public static IEndpointRouteBuilder MapTargetsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/targets").WithTags("Targets");

        api.MapGet("/", async (TargetStore store, CancellationToken ct) =>
                TypedResults.Ok(new TargetListResponse((await store.ListAsync(ct)).Select(ToResponse).ToList())))
            .WithName("ListTargets").WithSummary("Registered targets").RequireAuthorization(Policies.Viewer);

        api.MapGet("/{name}", async Task<Results<Ok<TargetResponse>, ProblemHttpResult>> (string name, TargetStore store, CancellationToken ct) =>
                await store.FindAsync(name, ct) is { } target ? TypedResults.Ok(ToResponse(target)) : Problems.NotFound($"target '{name}'"))
            .WithName("GetTarget").WithSummary("One target with its task file").RequireAuthorization(Policies.Viewer);

        api.MapPost("/", async Task<Results<Created<TargetResponse>, ValidationProblem, ProblemHttpResult>> (RegisterTargetRequest request, TargetService targets, CancellationToken ct) =>
                await targets.RegisterAsync(request.Name, request.Repository ?? "", isDefault: false, ct) switch
                {
                    RegisterResult.Created created => TypedResults.Created($"/api/v1/targets/{created.Target.Name}", ToResponse(created.Target)),
                    RegisterResult.Invalid invalid => Problems.Invalid(invalid.Errors),
                    RegisterResult.Conflict conflict => Problems.Conflict("target_exists", $"a target named '{conflict.Name}' exists"),
                    _ => throw new InvalidOperationException(),
                })
            .WithName("RegisterTarget").WithSummary("Clone a repository into the workspace and validate its dean.json (admin: its evaluate command runs on this machine)")
            .RequireAuthorization(Policies.Admin);
        return app;
    }
}
