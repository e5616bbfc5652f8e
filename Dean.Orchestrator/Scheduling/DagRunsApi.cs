using System.Security.Claims;
using Dapper;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Http;
using Hangfire;
using Hangfire.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Dean.Orchestrator.Scheduling;

/// <summary>Airflow's <c>/api/v1/dags/{dag_id}/dagRuns</c>, answered from Hangfire's job history.</summary>
public static class DagRunsApi
{
    public sealed record DagRun(string DagRunId, string DagId, string State, DateTime ExecutionDate, DateTime? StartDate, DateTime? EndDate);

    public sealed record DagRunList(IReadOnlyList<DagRun> DagRuns, long TotalEntries);

    public sealed record DagInfo(string DagId, string Description, string Schedule, bool IsPaused, DateTime? NextDagrun, DateTime? LastRun, string? LastState);

    public sealed record DagList(IReadOnlyList<DagInfo> Dags, int TotalEntries);

    public static IEndpointRouteBuilder MapDagRunsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/dags").WithTags("Schedules");
        api.MapGet("/", ListDags).RequireAuthorization(Policies.Viewer)
            .WithName("ListDags").WithSummary("The recurring jobs, by their Airflow DAG ids");
        api.MapGet("/{dagId}/dagRuns", ListRunsAsync).RequireAuthorization(Policies.Viewer)
            .WithName("ListDagRuns").WithSummary("Runs of a recurring job, newest first, in Airflow's shape");
        api.MapPost("/{dagId}/dagRuns", Trigger).RequireAuthorization(Policies.Operator)
            .WithName("TriggerDagRun").WithSummary("Run a recurring job now");
        return app;
    }

    private static Ok<DagList> ListDags(JobStorage storage)
    {
        using var connection = storage.GetConnection();
        var recurring = connection.GetRecurringJobs(DagRegistry.All.Select(d => d.Id).ToArray()).ToDictionary(j => j.Id);
        var dags = DagRegistry.All.Select(d => recurring.TryGetValue(d.Id, out var job)
            ? new DagInfo(d.Id, d.Description, job.Cron, false, job.NextExecution, job.LastExecution, job.LastJobState)
            : new DagInfo(d.Id, d.Description, d.DefaultCron, true, null, null, null)).ToList();
        return TypedResults.Ok(new DagList(dags, dags.Count));
    }

    private static async Task<Results<Ok<DagRunList>, ProblemHttpResult, ValidationProblem>> ListRunsAsync(
        string dagId, int? limit, int? offset, NpgsqlDataSource db, CancellationToken ct)
    {
        if (DagRegistry.Find(dagId) is null) return Problems.NotFound($"DAG '{dagId}' does not exist.");
        if (limit is < 1 or > 1000) return Problems.Invalid("limit", "limit must be within [1, 1000]");
        if (offset is < 0) return Problems.Invalid("offset", "offset must not be negative");
        // Hangfire stores the recurring job id as a JSON string parameter of every job it creates.
        var parameter = System.Text.Json.JsonSerializer.Serialize(dagId);
        await using var connection = await db.OpenConnectionAsync(ct);
        var total = await connection.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM hangfire.jobparameter WHERE name = 'RecurringJobId' AND value = @parameter
            """, new { parameter });
        var rows = await connection.QueryAsync<(long Id, string? StateName, DateTime CreatedAt, DateTime? StartDate, DateTime? EndDate)>("""
            SELECT j.id, j.statename, j.createdat,
                   (SELECT min(s.createdat) FROM hangfire.state s WHERE s.jobid = j.id AND s.name = 'Processing'),
                   (SELECT max(s.createdat) FROM hangfire.state s WHERE s.jobid = j.id AND s.name IN ('Succeeded', 'Failed', 'Deleted'))
            FROM hangfire.job j
            JOIN hangfire.jobparameter p ON p.jobid = j.id AND p.name = 'RecurringJobId' AND p.value = @parameter
            ORDER BY j.createdat DESC, j.id DESC
            LIMIT @limit OFFSET @offset
            """, new { parameter, limit = limit ?? 100, offset = offset ?? 0 });
        var runs = rows.Select(r =>
        {
            var state = AirflowState(r.StateName, r.StartDate is not null);
            return new DagRun($"hangfire_{r.Id}", dagId, state, DateTime.SpecifyKind(r.CreatedAt, DateTimeKind.Utc),
                r.StartDate is { } s ? DateTime.SpecifyKind(s, DateTimeKind.Utc) : null,
                // A failed attempt awaiting its retry has an end of that attempt, not of the run.
                state is "success" or "failed" && r.EndDate is { } e ? DateTime.SpecifyKind(e, DateTimeKind.Utc) : null);
        }).ToList();
        return TypedResults.Ok(new DagRunList(runs, total));
    }

    private static async Task<Results<Ok<DagRun>, ProblemHttpResult>> Trigger(string dagId, ClaimsPrincipal user, IAuthorizationService authorization,
        IRecurringJobManagerV2 recurring, TimeProvider time)
    {
        if (DagRegistry.Find(dagId) is not { } dag) return Problems.NotFound($"DAG '{dagId}' does not exist.");
        if (!(await authorization.AuthorizeAsync(user, dag.TriggerPolicy)).Succeeded)
            return Problems.Forbidden($"running {dagId} needs the {dag.TriggerPolicy} role");
        var jobId = recurring.TriggerJob(dagId);
        return TypedResults.Ok(new DagRun($"hangfire_{jobId}", dagId, "queued", time.GetUtcNow().UtcDateTime, null, null));
    }

    /// <summary>
    /// Airflow's run states (queued, running, success, failed) from the job's Hangfire state. A job that ran once and
    /// now waits for a retry (Scheduled, then Enqueued) is one Airflow run still <c>running</c>; out of retries, Hangfire
    /// leaves it Failed.
    /// </summary>
    /// <param name="attempted">whether any attempt of the job has started (it has a Processing state)</param>
    public static string AirflowState(string? hangfireState, bool attempted) => hangfireState switch
    {
        "Processing" => "running",
        "Succeeded" => "success",
        "Failed" or "Deleted" => "failed",
        _ => attempted ? "running" : "queued",
    };
}
