using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evolution;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dean.IndexAgent.Patterns;

public sealed record PatternDetailResponse(
    string Id, string Hash, string Type, string Name, string Description, double Effectiveness, double Confidence, string DiscoveredBy,
    int Generation, int UsageCount, DateTimeOffset LastUsedAt, bool Archived, IReadOnlyList<string> SourceCandidateIds, DateTimeOffset CreatedAt,
    string NormalizedDiff, System.Text.Json.JsonElement Template);

public sealed record PropagateRequest(string[]? TargetAgents, string? Strategy);

public sealed record PropagateResponse(string PatternId, string Strategy, IReadOnlyList<string> Propagated, IReadOnlyList<string> AlreadyAdopted);

public static class PatternsApi
{
    private static PatternResponse ToResponse(StoredPattern s) => new(s.Pattern.Id, s.Pattern.Hash, s.Pattern.Type, s.Pattern.Name, s.Pattern.Description,
        s.Pattern.Effectiveness, s.Pattern.Confidence, s.Pattern.DiscoveredBy, s.Pattern.Generation, s.Pattern.UsageCount, s.Pattern.LastUsedAt,
        s.Pattern.Archived, s.SourceCandidateIds.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList(), s.CreatedAt);

    /// <summary><c>add</c>: the pattern joins the agent's strategies; <c>exclusive</c>: it becomes the agent's only strategy.</summary>
    public static readonly string[] PropagationStrategies = ["add", "exclusive"];

    public static IHostApplicationBuilder AddPatterns(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PatternStore>();
        builder.Services.AddSingleton<IPatternSource, CataloguePatternSource>();
        return builder;
    }

    public static IEndpointRouteBuilder MapPatternsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/patterns").WithTags("Patterns");
        api.MapGet("/", ListAsync).WithName("ListPatterns").WithSummary("Catalogued patterns, most effective first").RequireAuthorization(Policies.Viewer);
        api.MapGet("/{id}", GetAsync).WithName("GetPattern").WithSummary("One pattern with its normalised diff and template").RequireAuthorization(Policies.Viewer);
        api.MapPost("/discover", DiscoverAsync).WithName("DiscoverPatterns").WithSummary("Catalogue every accepted candidate not catalogued yet").RequireAuthorization(Policies.Operator);
        api.MapPost("/archive", ArchiveAsync).WithName("ArchivePatterns").WithSummary("Archive patterns older than N days with usage below M").RequireAuthorization(Policies.Operator);
        api.MapPost("/{id}/propagate", PropagateAsync).WithName("PropagatePattern").WithSummary("Give the pattern to agents as a pattern:{id} strategy").RequireAuthorization(Policies.Operator);
        return app;
    }

    private static async Task<Results<Ok<PatternListResponse>, ValidationProblem>> ListAsync(
        string? type, double? min_effectiveness, int? limit, bool? include_archived, PatternStore store, CancellationToken ct)
    {
        if (type is not null && !PatternTypes.All.Contains(type)) return Problems.Invalid("type", $"type must be one of {string.Join(", ", PatternTypes.All)}");
        if (!Paging.IsValidLimit(limit)) return Problems.Invalid("limit", Paging.LimitMessage);
        if (min_effectiveness is { } m && !double.IsFinite(m)) return Problems.Invalid("min_effectiveness", "min_effectiveness must be a number");
        var (patterns, total) = await store.ListAsync(type, min_effectiveness, limit ?? 50, include_archived ?? false, ct);
        return TypedResults.Ok(new PatternListResponse(patterns.Select(ToResponse).ToList(), total));
    }

    private static async Task<Results<Ok<PatternDetailResponse>, ProblemHttpResult>> GetAsync(string id, PatternStore store, CancellationToken ct)
    {
        if (await store.FindAsync(id, ct) is not { } s) return Problems.NotFound($"pattern '{id}'");
        var r = ToResponse(s);
        using var template = System.Text.Json.JsonDocument.Parse(s.Pattern.Template);
        return TypedResults.Ok(new PatternDetailResponse(r.Id, r.Hash, r.Type, r.Name, r.Description, r.Effectiveness, r.Confidence, r.DiscoveredBy,
            r.Generation, r.UsageCount, r.LastUsedAt, r.Archived, r.SourceCandidateIds, r.CreatedAt, s.Pattern.NormalizedDiff, template.RootElement.Clone()));
    }

    private static async Task<Ok<DiscoverResponse>> DiscoverAsync(PatternStore store, CancellationToken ct)
    {
        var outcome = await store.DiscoverAsync(null, ct);
        return TypedResults.Ok(new DiscoverResponse(outcome.Scanned, outcome.Discovered.Count, outcome.Reused.Count,
            outcome.Discovered.Concat(outcome.Reused).Select(p => p.Pattern.Id).ToList()));
    }

    private static async Task<Results<Ok<ArchiveResponse>, ValidationProblem>> ArchiveAsync([FromBody] ArchiveRequest? request, PatternStore store, CancellationToken ct)
    {
        if (request?.OlderThanDays is not >= 0) return Problems.Invalid("older_than_days", "older_than_days is required and must not be negative");
        if (request.MinUsage is not >= 0) return Problems.Invalid("min_usage", "min_usage is required and must not be negative");
        var ids = await store.ArchiveAsync(request.OlderThanDays.Value, request.MinUsage.Value, ct);
        return TypedResults.Ok(new ArchiveResponse(ids.Count, ids));
    }

    private static async Task<Results<Ok<PropagateResponse>, ValidationProblem, ProblemHttpResult>> PropagateAsync(
        string id, [FromBody] PropagateRequest? request, PatternStore store, AgentStore agents, AgentLocks locks, CancellationToken ct)
    {
        if (request?.TargetAgents is not { Length: > 0 } targets || targets.Any(string.IsNullOrWhiteSpace))
            return Problems.Invalid("target_agents", "target_agents must list at least one agent id");
        var strategy = request.Strategy ?? "add";
        if (!PropagationStrategies.Contains(strategy)) return Problems.Invalid("strategy", $"strategy must be one of {string.Join(", ", PropagationStrategies)}");
        if (await store.FindAsync(id, ct) is not { } pattern) return Problems.NotFound($"pattern '{id}'");
        if (pattern.Pattern.Archived) return Problems.Invalid("id", $"pattern '{id}' is archived");
        var found = await agents.FindManyAsync(targets.Distinct().ToList(), ct);
        var missing = targets.Distinct().Except(found.Select(a => a.Id)).ToList();
        if (missing.Count > 0) return Problems.Invalid("target_agents", $"unknown agents: {string.Join(", ", missing)}");

        var propagated = new List<string>();
        var already = new List<string>();
        foreach (var agentId in targets.Distinct())
        {
            using var _ = await locks.AcquireAsync(agentId, ct);
            var agent = (await agents.FindAsync(agentId, ct))!;
            var genome = strategy == "exclusive"
                ? agent.Genome.WithStrategies([GenomeOperations.PatternStrategy(id)])
                : agent.Genome.AdoptPattern(id);
            if (genome.SameAs(agent.Genome)) { already.Add(agentId); continue; }
            await agents.SetGenomeAsync(agentId, genome, ct);
            propagated.Add(agentId);
        }
        return TypedResults.Ok(new PropagateResponse(id, strategy, propagated, already));
    }
}
