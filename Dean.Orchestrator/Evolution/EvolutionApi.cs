using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Dean.Contracts.IndexAgent;
using Dean.Orchestrator.Clients;
using Dean.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dean.Orchestrator.Evolution;

public static class EvolutionApi
{
    public static IEndpointRouteBuilder MapEvolutionApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/evolution").WithTags("Evolution");
        api.MapPost("/start", StartAsync).RequireAuthorization(Policies.Operator)
            .WithName("StartEvolution").WithSummary("Validate, fund and start an evolution cycle (202)");
        api.MapGet("/", ListAsync).RequireAuthorization(Policies.Viewer)
            .WithName("ListCycles").WithSummary("Evolution cycles, newest first");
        api.MapGet("/{id}/status", StatusAsync).RequireAuthorization(Policies.Viewer)
            .WithName("CycleStatus").WithSummary("A cycle's status with every completed generation");
        api.MapPost("/{id}/stop", StopAsync).RequireAuthorization(Policies.Operator)
            .WithName("StopCycle").WithSummary("Stop a cycle within seconds and release its unused tokens");
        api.MapGet("/{id}/best", BestAsync).RequireAuthorization(Policies.Viewer)
            .WithName("CycleBest").WithSummary("The cycle's best program as the peer would have written it, scored again in a fresh sandbox");
        api.MapGet("/{id}/patch", PatchAsync).RequireAuthorization(Policies.Viewer)
            .WithName("CyclePatch").WithSummary("The cycle's best program as one git format-patch on the target's head")
            .Produces<string>(StatusCodes.Status200OK, "text/x-patch").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/{id}/export", ExportAsync).RequireAuthorization(Policies.Operator)
            .WithName("ExportCycle").WithSummary("Push the cycle's best program to the target's repository as branch dean/best/{id}");
        api.MapGet("/{id}/events", Events).RequireAuthorization(Policies.Viewer)
            .WithName("CycleEvents").WithSummary("Server-sent progress events of a cycle");
        return app;
    }

    private static async Task<Results<Accepted<StartResponse>, ValidationProblem, ProblemHttpResult>> StartAsync(
        StartCycleRequest request, HttpContext http, CycleLauncher launcher, CancellationToken ct)
    {
        var outcome = await launcher.StartAsync(request, http.User.FindFirst(TokenIssuer.SubjectClaim)?.Value ?? "unknown", ct);
        if (outcome.Invalid is { } errors) return Problems.Invalid(errors);
        if (outcome.BudgetRefusal is { } refusal) return Problems.BudgetExceeded(refusal);
        if (outcome.Busy is { } busy)
            return Problems.Conflict(ProblemTypes.AgentBusy, busy.Detail, new Dictionary<string, object?> { ["agent_id"] = busy.AgentId, ["cycle_id"] = busy.CycleId });
        var cycle = outcome.Started!;
        return TypedResults.Accepted($"/api/v1/evolution/{cycle.Id}/status", new StartResponse(cycle.Id, cycle.Status));
    }

    private static async Task<Results<Ok<CycleListResponse>, ValidationProblem>> ListAsync(string? status, int? limit, CycleStore cycles, CancellationToken ct)
    {
        if (status is not null && !CycleStatus.All.Contains(status))
            return Problems.Invalid("status", $"status must be one of {string.Join(", ", CycleStatus.All)}");
        if (!Paging.IsValidLimit(limit)) return Problems.Invalid("limit", Paging.LimitMessage);
        var items = await CycleResponses.ListAsync(cycles, status, limit ?? 50, ct);
        return TypedResults.Ok(new CycleListResponse(items, items.Count));
    }

    private static async Task<Results<Ok<CycleStatusResponse>, ProblemHttpResult>> StatusAsync(string id, CycleStore cycles, CancellationToken ct)
    {
        var cycle = await cycles.GetAsync(id, ct);
        return cycle is null ? Problems.NotFound($"Cycle '{id}' does not exist.") : TypedResults.Ok(await CycleResponses.ReadAsync(cycle, cycles, ct));
    }

    private static async Task<Results<Ok<BestProgramResponse>, ProblemHttpResult>> BestAsync(string id, CycleStore cycles, IndexAgentClient indexAgent, CancellationToken ct)
    {
        var cycle = await cycles.GetAsync(id, ct);
        if (cycle is null) return Problems.NotFound($"Cycle '{id}' does not exist.");
        if (cycle.BestAgentId is not { } agentId) return Problems.NotFound($"Cycle '{id}' has no best program yet.");
        var rescored = await indexAgent.RescoreAsync(agentId, ct);
        var program = await indexAgent.GetProgramAsync(agentId, ct);
        if (program.Files.Count == 0) return Problems.NotFound($"The best agent {agentId} of cycle '{id}' has no evolved file.");
        // A step of a running cycle may commit in between: then what was scored again is not what is handed out.
        var same = program.Commit == rescored.Commit;
        var main = program.Files[0];
        var path = program.Format == TaskFormats.Dean ? main.Path : "best_program" + System.IO.Path.GetExtension(main.Path);
        return TypedResults.Ok(new BestProgramResponse(id, agentId, program.Format, program.Commit, path, main.Content, program.Fitness,
            rescored.Score, rescored.Agrees && same, same ? rescored.Reason : $"the program changed from {rescored.Commit} while it was scored again",
            rescored.Metrics, program.Files));
    }

    /// <summary>The patch download, also the console's (on its own port, with its cookie): the same answer either way.</summary>
    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> PatchAsync(string id, CycleStore cycles, IndexAgentClient indexAgent, CancellationToken ct)
    {
        var cycle = await cycles.GetAsync(id, ct);
        if (cycle is null) return Problems.NotFound($"Cycle '{id}' does not exist.");
        if (cycle.BestAgentId is not { } agentId) return Problems.NotFound($"Cycle '{id}' has no best program yet.");
        var patch = await indexAgent.GetPatchAsync(agentId, Subject(cycle, agentId), ct);
        if (patch is null) return Problems.NotFound($"The best program of cycle '{id}' does not differ from the target's head.");
        return TypedResults.File(System.Text.Encoding.UTF8.GetBytes(patch), "text/x-patch", $"dean-best-{id}.patch");
    }

    private static async Task<Results<Ok<CycleExportResponse>, ProblemHttpResult>> ExportAsync(string id, CycleStore cycles, IndexAgentClient indexAgent, CancellationToken ct)
    {
        var cycle = await cycles.GetAsync(id, ct);
        if (cycle is null) return Problems.NotFound($"Cycle '{id}' does not exist.");
        if (cycle.BestAgentId is not { } agentId) return Problems.NotFound($"Cycle '{id}' has no best program yet.");
        try
        {
            var export = await indexAgent.ExportAsync(agentId, new ExportRequest(ExportBranches.BestOfCycle(id), Subject(cycle, agentId)), ct);
            return TypedResults.Ok(new CycleExportResponse(id, export));
        }
        catch (DownstreamException refused) when (refused.Status == System.Net.HttpStatusCode.Conflict)
        {
            return Problems.Conflict(refused.ProblemType ?? ExportProblems.ExportRefused, refused.Detail ?? refused.Message);
        }
    }

    private static string Subject(Cycle cycle, string agentId) =>
        $"DEAN: best program of cycle {cycle.Id} ({agentId}, score {cycle.BestScore?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"})";

    private static async Task<Results<Ok<CycleStatusResponse>, ProblemHttpResult>> StopAsync(
        string id, CycleStore cycles, CycleStopper stopper, CancellationToken ct)
    {
        var cycle = await cycles.GetAsync(id, ct);
        if (cycle is null) return Problems.NotFound($"Cycle '{id}' does not exist.");
        if (await stopper.RequestAsync(id, ct)) await stopper.WaitAsync([id], CycleStopper.RequestWait, ct);
        return TypedResults.Ok(await CycleResponses.ReadAsync((await cycles.GetAsync(id, ct))!, cycles, ct));
    }

    private static async Task<Results<ServerSentEventsResult<string>, ProblemHttpResult>> Events(string id, CycleStore cycles, CycleEvents events, CancellationToken ct)
    {
        var cycle = await cycles.GetAsync(id, ct);
        if (cycle is null) return Problems.NotFound($"Cycle '{id}' does not exist.");
        return TypedResults.ServerSentEvents(Stream(cycle, cycles, events, ct));
    }

    /// <summary>The current status first, then live events until the cycle ends or the client leaves.</summary>
    private static async IAsyncEnumerable<SseItem<string>> Stream(Cycle cycle, CycleStore cycles, CycleEvents events, [EnumeratorCancellation] CancellationToken ct)
    {
        var json = Microsoft.Extensions.Hosting.Extensions.DeanJson;
        yield return new SseItem<string>(JsonSerializer.Serialize(await CycleResponses.ReadAsync(cycle, cycles, ct), json), "status");
        if (CycleStatus.IsTerminal(cycle.Status)) yield break;
        await foreach (var message in events.SubscribeAsync(cycle.Id, ct))
        {
            using var document = JsonDocument.Parse(message);
            var type = document.RootElement.GetProperty("type").GetString() ?? "event";
            yield return new SseItem<string>(message, type);
            if (type == "cycle_ended") yield break;
        }
    }
}
