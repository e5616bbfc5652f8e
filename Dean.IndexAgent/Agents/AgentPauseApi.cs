using Dapper;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Dean.IndexAgent.Agents;

/// <summary>
/// <c>POST /api/v1/agents/{id}/pause</c> and <c>/resume</c> (DESIGN 3's <c>paused</c> status), used by the
/// orchestrator's emergency stop. A paused agent takes no evolution step (a step refuses any agent that is not active).
/// Only active agents pause and only paused ones resume; anything else is a 409 that changes nothing.
/// </summary>
public static class AgentPauseApi
{
    public static IEndpointRouteBuilder MapAgentPauseApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/agents").WithTags("Agents").RequireAuthorization(Policies.Operator);
        api.MapPost("/{id}/pause", (string id, NpgsqlDataSource db, AgentStore store, AgentRegistry registry, AgentService agents, CancellationToken ct) =>
                MoveAsync(id, AgentStatus.Active, AgentStatus.Paused, db, store, registry, agents, ct))
            .WithName("PauseAgent").WithSummary("Pause an active agent: it takes no evolution step until resumed");
        api.MapPost("/{id}/resume", (string id, NpgsqlDataSource db, AgentStore store, AgentRegistry registry, AgentService agents, CancellationToken ct) =>
                MoveAsync(id, AgentStatus.Paused, AgentStatus.Active, db, store, registry, agents, ct))
            .WithName("ResumeAgent").WithSummary("Resume a paused agent");
        return app;
    }

    private static async Task<Results<Ok<AgentResponse>, ProblemHttpResult>> MoveAsync(
        string id, string from, string to, NpgsqlDataSource db, AgentStore store, AgentRegistry registry, AgentService agents, CancellationToken ct)
    {
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            // Conditional on the current status, so a concurrent retire or budget exhaustion is never overwritten.
            var moved = await connection.ExecuteAsync(
                "UPDATE agents SET status = @to, updated_at = now() WHERE id = @id AND status = @from", new { id, from, to });
            if (moved == 0)
            {
                var agent = await store.FindAsync(id, ct);
                return agent is null
                    ? Problems.NotFound($"agent '{id}'")
                    : Problems.Conflict(ProblemTypes.InvalidStatus, $"agent '{id}' is {agent.Status}, not {from}");
            }
        }
        await registry.SetAsync(id, to);
        await agents.RefreshActiveGaugeAsync(ct);
        return TypedResults.Ok(AgentContractMapping.ToResponse((await store.FindAsync(id, ct))!));
    }
}
