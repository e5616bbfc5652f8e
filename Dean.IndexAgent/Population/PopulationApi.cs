using Dean.IndexAgent.Economy;
using Dean.IndexAgent.Diversity;
using Dean.IndexAgent.Patterns;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dean.IndexAgent.Population;

public static class PopulationApi
{
    /// <summary>Population evolution: the step, diversity, patterns and their metrics.</summary>
    public static IHostApplicationBuilder AddPopulation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PopulationMetrics>();
        builder.Services.AddHostedService<PopulationMetricsStartup>();
        builder.Services.AddSingleton<PopulationStep>();
        builder.AddDiversity();
        builder.AddPatterns();
        return builder;
    }

    public static IEndpointRouteBuilder MapPopulationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/population").WithTags("Population").AnswersServiceUnavailable();
        api.MapPost("/evolve", EvolveAsync).WithName("EvolvePopulation")
            .WithSummary("The population step after a generation: CA rules, children, forks, crossovers, retirements, diversity defence, patterns")
            .RequireAuthorization(Policies.Operator);
        app.MapDiversityApi();
        app.MapPatternsApi();
        return app;
    }

    private static async Task<Results<Ok<PopulationEvolveResponse>, ValidationProblem>> EvolveAsync(
        [FromBody] PopulationEvolveRequest? request, PopulationStep step, CancellationToken ct) =>
        await step.EvolveAsync(request ?? new PopulationEvolveRequest(null, null, null, null, null), ct) switch
        {
            PopulationResult.Done done => TypedResults.Ok(done.Response),
            PopulationResult.Invalid invalid => Problems.Invalid(invalid.Field, invalid.Message),
            _ => throw new InvalidOperationException(),
        };
}
