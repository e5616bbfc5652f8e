using System.Security.Claims;
using System.Text.Json;
using Dean.IndexAgent.Economy;
using Dean.IndexAgent.Operators;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dean.IndexAgent.Agents;

public sealed record LineageNode(string Id, string Name, string Status, int Generation, double? Fitness, IReadOnlyList<string> ParentIds)
{
    public static LineageNode From(Agent a) => new(a.Id, a.Name, a.Status, a.Generation, a.Fitness, a.ParentIds);
}

public sealed record LineageResponse(string AgentId, int Generation, IReadOnlyList<string> ParentIds, IReadOnlyList<LineageNode> Ancestors, IReadOnlyList<LineageNode> Descendants);

public static class AgentsApi
{
    public static IHostApplicationBuilder AddAgents(this IHostApplicationBuilder builder)
    {
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        builder.Services.AddSingleton<AgentStore>();
        builder.Services.AddSingleton<AgentRegistry>();
        builder.Services.AddSingleton<AgentLocks>();
        builder.Services.AddSingleton<AgentService>();
        builder.Services.AddSingleton<Dean.IndexAgent.Workspace.WorktreePruner>();
        builder.Services.AddSingleton<CandidateTrial>();
        builder.Services.AddSingleton<EvolutionStep>();
        builder.Services.AddSingleton<AgentProgram>();
        builder.Services.AddSingleton<AgentExport>();
        builder.Services.AddSingleton<IndexAgentMetrics>();
        builder.Services.AddSingleton<IPatternSource, NoPatterns>();
        builder.Services.AddHostedService<AgentRegistryInitializer>();
        builder.AddDeanServiceClient<EconomyClient>("economy");
        return builder;
    }

    public static IEndpointRouteBuilder MapAgentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/agents").WithTags("Agents").AnswersServiceUnavailable();

        api.MapGet("/", ListAsync).WithName("ListAgents").WithSummary("Agents, newest id last, optionally by status").RequireAuthorization(Policies.Viewer);
        api.MapGet("/{id}", GetAsync).WithName("GetAgent").WithSummary("One agent with its genome, parents and worktree").RequireAuthorization(Policies.Viewer);
        api.MapPost("/", CreateAsync).WithName("CreateAgent").WithSummary("Allocate a budget, create the worktree, measure the starting fitness").RequireAuthorization(Policies.Operator);
        api.MapDelete("/{id}", RetireAsync).WithName("RetireAgent").WithSummary("Retire: worktree removed, branch kept, unused tokens returned").RequireAuthorization(Policies.Operator);
        api.MapPost("/{id}/evolve", EvolveAsync).WithName("EvolveAgent").WithSummary("One evolution step: reserve, propose, evaluate, settle, accept or restore, record").RequireAuthorization(Policies.Operator);
        api.MapGet("/{id}/program", ProgramAsync).WithName("GetAgentProgram").WithSummary("The agent's evolved files as committed, with its fitness").RequireAuthorization(Policies.Viewer);
        api.MapPost("/{id}/rescore", RescoreAsync).WithName("RescoreAgent").WithSummary("Evaluate the agent's committed program again in a fresh sandbox and compare").RequireAuthorization(Policies.Operator);
        api.MapGet("/{id}/patch", PatchAsync).WithName("GetAgentPatch").WithSummary("The agent's program as one git format-patch on the target's head")
            .Produces<string>(StatusCodes.Status200OK, "text/x-patch").ProducesProblem(StatusCodes.Status404NotFound).RequireAuthorization(Policies.Viewer);
        api.MapPost("/{id}/export", ExportAsync).WithName("ExportAgent").WithSummary("Push the agent's program, one commit on the target's head, to the target's repository as a dean/ branch").RequireAuthorization(Policies.Operator);
        api.MapGet("/{id}/candidates", CandidatesAsync).WithName("ListCandidates").WithSummary("The agent's candidates, oldest first").RequireAuthorization(Policies.Viewer);
        api.MapGet("/{id}/lineage", LineageAsync).WithName("GetLineage").WithSummary("Ancestors and descendants through parent_ids").RequireAuthorization(Policies.Viewer);
        return app;
    }

    private static async Task<Results<Ok<AgentListResponse>, ValidationProblem>> ListAsync(int? limit, int? offset, string? status, AgentStore store, CancellationToken ct)
    {
        if (!Paging.IsValidLimit(limit)) return Problems.Invalid("limit", Paging.LimitMessage);
        if (offset is < 0) return Problems.Invalid("offset", "offset must not be negative");
        if (status is not null && !AgentStatus.All.Contains(status)) return Problems.Invalid("status", $"status must be one of {string.Join(", ", AgentStatus.All)}");
        var (agents, total) = await store.ListAsync(status, limit ?? 50, offset ?? 0, ct);
        return TypedResults.Ok(new AgentListResponse(agents.Select(AgentContractMapping.ToResponse).ToList(), total, limit ?? 50, offset ?? 0));
    }

    private static async Task<Results<Ok<ProgramResponse>, ProblemHttpResult>> ProgramAsync(string id, AgentProgram program, CancellationToken ct) =>
        await program.ReadAsync(id, ct) is { } found ? TypedResults.Ok(found) : Problems.NotFound($"agent '{id}'");

    private static async Task<Results<Ok<RescoreResponse>, ProblemHttpResult>> RescoreAsync(string id, AgentProgram program, CancellationToken ct) =>
        await program.RescoreAsync(id, ct) is { } rescored ? TypedResults.Ok(rescored) : Problems.NotFound($"agent '{id}'");

    private const int MaxSubjectLength = 200;

    private static string? SubjectError(string? subject) =>
        subject is { Length: > MaxSubjectLength } || subject?.IndexOfAny(['\r', '\n']) >= 0 ? $"subject must be one line of at most {MaxSubjectLength} characters" : null;

    private static async Task<Results<ContentHttpResult, ValidationProblem, ProblemHttpResult>> PatchAsync(string id, string? subject, AgentExport export, CancellationToken ct)
    {
        if (SubjectError(subject) is { } error) return Problems.Invalid("subject", error);
        if (await export.SquashAsync(id, subject, ct) is not { } squashed) return Problems.NotFound($"agent '{id}'");
        if (!squashed.Changed) return Problems.NotFound($"Agent '{id}''s program does not differ from the head of target '{squashed.Target.Name}'.");
        return TypedResults.Text(await AgentExport.PatchAsync(squashed, ct), "text/x-patch");
    }

    private static async Task<Results<Ok<ExportResponse>, ValidationProblem, ProblemHttpResult>> ExportAsync(string id, ExportRequest request, AgentExport export, CancellationToken ct)
    {
        if (await AgentExport.BranchErrorAsync(request.Branch, ct) is { } branchError) return Problems.Invalid("branch", branchError);
        if (SubjectError(request.Subject) is { } subjectError) return Problems.Invalid("subject", subjectError);
        if (await export.SquashAsync(id, request.Subject, ct) is not { } squashed) return Problems.NotFound($"agent '{id}'");
        if (!squashed.Changed) return Problems.Conflict(ExportProblems.NoChange, $"Agent '{id}''s program does not differ from the head of target '{squashed.Target.Name}'.");
        return await AgentExport.PushAsync(squashed, request.Branch!, ct) switch
        {
            AgentExport.PushOutcome.Pushed pushed => TypedResults.Ok(pushed.Response),
            AgentExport.PushOutcome.Refused refused => Problems.Conflict(ExportProblems.ExportRefused, refused.Detail),
            _ => throw new InvalidOperationException(),
        };
    }

    private static async Task<Results<Ok<AgentResponse>, ProblemHttpResult>> GetAsync(string id, AgentStore store, CancellationToken ct) =>
        await store.FindAsync(id, ct) is { } agent ? TypedResults.Ok(AgentContractMapping.ToResponse(agent)) : Problems.NotFound($"agent '{id}'");

    private static async Task<Results<Created<AgentResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(CreateAgentRequest request, AgentService agents, CancellationToken ct) =>
        await agents.SpawnAsync(new SpawnRequest(request.Goal, request.Target, request.TokenBudget, request.Genome, request.Name, request.ParentIds,
                request.CycleId, request.Priority, request.Level), ct) switch
        {
            SpawnResult.Created created => TypedResults.Created($"/api/v1/agents/{created.Agent.Id}", AgentContractMapping.ToResponse(created.Agent)),
            SpawnResult.Invalid invalid => Problems.Invalid(invalid.Errors),
            SpawnResult.BudgetExceeded refused => Problems.BudgetExceeded(refused.Detail),
            _ => throw new InvalidOperationException(),
        };

    private static async Task<Results<Ok<RetireResponse>, ProblemHttpResult>> RetireAsync(string id, string? reason, AgentService agents, CancellationToken ct) =>
        await agents.RetireAsync(id, reason, ct) switch
        {
            RetireResult.Retired retired => TypedResults.Ok(new RetireResponse(AgentContractMapping.ToResponse(retired.Agent), retired.TokensReturned)),
            _ => Problems.NotFound($"agent '{id}'"),
        };

    private static async Task<Results<Ok<EvolveResponse>, ValidationProblem, ProblemHttpResult>> EvolveAsync(
        string id, [FromBody] EvolveRequest? request, ClaimsPrincipal user, IAuthorizationService authorization, EvolutionStep step, CancellationToken ct)
    {
        // Pattern text is written into the target's code: only an admin may supply it (catalogued patterns need no text).
        if (request?.Patterns is { Count: > 0 } && !(await authorization.AuthorizeAsync(user, Policies.Admin)).Succeeded)
            return Problems.Forbidden("supplying pattern text needs the admin role");
        return await step.EvolveAsync(id, request ?? new EvolveRequest(null, null, null, null, null, null), ct) switch
        {
            StepResult.Done done => TypedResults.Ok(AgentContractMapping.ToResponse(done.Outcome)),
            StepResult.Invalid invalid => Problems.Invalid(invalid.Errors),
            StepResult.NotActive notActive => Problems.Conflict(ProblemTypes.AgentNotActive, $"agent '{id}' is {notActive.Status}"),
            StepResult.BudgetExhausted exhausted => Problems.BudgetExceeded($"agent '{id}' is budget_exhausted: {exhausted.Detail}"),
            _ => Problems.NotFound($"agent '{id}'"),
        };
    }

    private static async Task<Results<Ok<CandidateListResponse>, ValidationProblem, ProblemHttpResult>> CandidatesAsync(
        string id, int? limit, int? offset, AgentStore store, CancellationToken ct)
    {
        if (limit is < 1 or > 1000) return Problems.Invalid("limit", "limit must be from 1 to 1000");
        if (offset is < 0) return Problems.Invalid("offset", "offset must not be negative");
        if (await store.FindAsync(id, ct) is null) return Problems.NotFound($"agent '{id}'");
        var (candidates, total) = await store.CandidatesAsync(id, limit ?? 100, offset ?? 0, ct);
        return TypedResults.Ok(new CandidateListResponse(id, candidates.Select(AgentContractMapping.ToResponse).ToList(), total, limit ?? 100, offset ?? 0));
    }

    private static async Task<Results<Ok<LineageResponse>, ProblemHttpResult>> LineageAsync(string id, AgentStore store, CancellationToken ct)
    {
        if (await store.FindAsync(id, ct) is not { } agent) return Problems.NotFound($"agent '{id}'");
        var (ancestors, descendants) = await store.LineageAsync(id, ct);
        return TypedResults.Ok(new LineageResponse(id, agent.Generation, agent.ParentIds, ancestors.Select(LineageNode.From).ToList(), descendants.Select(LineageNode.From).ToList()));
    }
}
