using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Economy;
using Dean.IndexAgent.Evolution;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dean.IndexAgent.Diversity;

public sealed record InjectMutationRequest(string[]? PopulationIds, double? MutationStrength, int? Seed, double? Threshold);

public sealed record InterventionResponse(string Kind, string AgentId, double Strength, string Reason, Genome Before, Genome After, string? RelatedAgentId, string? PatternId)
{
    public static InterventionResponse From(DiversityIntervention i) => new(i.Kind, i.AgentId, i.Strength, i.Reason, i.Before, i.After, i.RelatedAgentId, i.PatternId);
}

public sealed record InjectMutationResponse(int AgentsMutated, double DiversityBefore, double DiversityAfter, IReadOnlyList<InterventionResponse> MutationsApplied);

public static class DiversityApi
{
    public static IHostApplicationBuilder AddDiversity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DiversityService>();
        return builder;
    }

    public static IEndpointRouteBuilder MapDiversityApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/diversity").WithTags("Diversity").AnswersServiceUnavailable();
        api.MapPost("/population", MeasureAsync).WithName("MeasureDiversity").WithSummary("Population diversity: traits, strategies and code distance").RequireAuthorization(Policies.Viewer);
        api.MapPost("/inject-mutation", InjectAsync).WithName("InjectMutation").WithSummary("Mutate every agent of the population with the given strength; recorded").RequireAuthorization(Policies.Operator);
        return app;
    }

    /// <summary>The agents in the given order, or the field error (missing list, unknown ids).</summary>
    public static async Task<(IReadOnlyList<Agent>? Agents, ValidationProblem? Problem)> PopulationAsync(string[]? ids, AgentStore store, CancellationToken ct)
    {
        if (ids is not { Length: > 0 } || ids.Any(string.IsNullOrWhiteSpace)) return (null, Problems.Invalid("population_ids", "population_ids must list at least one agent id"));
        if (ids.Length > 1000) return (null, Problems.Invalid("population_ids", "at most 1000 agents"));
        var distinct = ids.Distinct(StringComparer.Ordinal).ToList();
        var found = await store.FindManyAsync(distinct, ct);
        var missing = distinct.Except(found.Select(a => a.Id)).ToList();
        if (missing.Count > 0) return (null, Problems.Invalid("population_ids", $"unknown agents: {string.Join(", ", missing)}"));
        return (distinct.Select(id => found.First(a => a.Id == id)).ToList(), null);
    }

    private static async Task<Results<Ok<DiversityResponse>, ValidationProblem>> MeasureAsync(
        [FromBody] DiversityRequest? request, AgentStore store, DiversityService diversity, EconomyClient economy, CancellationToken ct)
    {
        if (request?.Threshold is { } t && (double.IsNaN(t) || t < 0 || t > 1)) return Problems.Invalid("threshold", "threshold must be within [0, 1]");
        var (agents, problem) = await PopulationAsync(request?.PopulationIds, store, ct);
        if (problem is not null) return problem;
        var threshold = request!.Threshold ?? (await economy.GetConstraintsAsync(ct)).MinDiversity;
        return TypedResults.Ok(Response(diversity.Measure(await diversity.MembersAsync(agents!, ct), threshold)));
    }

    private static async Task<Results<Ok<InjectMutationResponse>, ValidationProblem>> InjectAsync(
        [FromBody] InjectMutationRequest? request, AgentStore store, DiversityService diversity, EconomyClient economy, CancellationToken ct)
    {
        if (request?.MutationStrength is not { } strength || double.IsNaN(strength) || strength <= 0 || strength > 1)
            return Problems.Invalid("mutation_strength", "mutation_strength is required and must be within (0, 1]");
        if (request.Threshold is { } t && (double.IsNaN(t) || t < 0 || t > 1)) return Problems.Invalid("threshold", "threshold must be within [0, 1]");
        var (agents, problem) = await PopulationAsync(request.PopulationIds, store, ct);
        if (problem is not null) return problem;
        var constraints = await economy.GetConstraintsAsync(ct);
        var operators = new GeneticOperators(MutationRateRange.Of(constraints));
        var random = request.Seed is { } seed ? new Random(seed) : new Random();
        var members = await diversity.MembersAsync(agents!, ct);
        var result = new DiversityDefence(operators).InjectMutation(members, strength, request.Threshold ?? constraints.MinDiversity, random);
        await diversity.RecordAsync(null, result, ct);
        diversity.Measure(members.Select(m => m with { Genome = result.GenomeUpdates.GetValueOrDefault(m.Id, m.Genome) }).ToList(), result.After.Threshold);
        return TypedResults.Ok(new InjectMutationResponse(result.GenomeUpdates.Count, result.Before.Diversity, result.After.Diversity,
            result.Interventions.Select(InterventionResponse.From).ToList()));
    }

    private static DiversityResponse Response(DiversityReport r) =>
        new(r.Diversity, new DiversityComponents(r.Components.Traits, r.Components.Strategies, r.Components.Code), r.RecommendationName, r.Threshold);
}
