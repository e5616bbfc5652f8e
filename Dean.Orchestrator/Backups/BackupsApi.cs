using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Data;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dean.Orchestrator.Backups;

public static class BackupsApi
{
    public static IHostApplicationBuilder AddBackups(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<BackupOptions>(builder.Configuration.GetSection(BackupOptions.Section));
        // Backups, restores and the weekly upkeep read and write every service's tables: the maintenance role's login.
        builder.AddKeyedNpgsqlDataSource(DatabaseOwnership.MaintenanceConnectionName, s => s.DisableHealthChecks = true);
        builder.Services.AddSingleton<BackupStore>();
        builder.Services.AddSingleton<BackupMetrics>();
        builder.Services.AddTransient<BackupService>();
        builder.Services.AddTransient<MaintenanceJobs>();
        builder.Services.AddOptions<MaintenanceOptions>().Bind(builder.Configuration.GetSection(MaintenanceOptions.Section))
            .Validate(o => o.LedgerRetentionDays >= 7 && o.LedgerExportRetentionDays >= 1,
                "Orchestrator:Maintenance:LedgerRetentionDays must be at least 7 and LedgerExportRetentionDays at least 1")
            .ValidateOnStart();
        builder.Services.AddTransient<LedgerExporter>();
        return builder;
    }

    public static IEndpointRouteBuilder MapBackupsApi(this IEndpointRouteBuilder app)
    {
        var backups = app.MapGroup("/api/v1/backups").WithTags("Backups");
        backups.MapPost("/", StartAsync).RequireAuthorization(Policies.Admin)
            .WithName("StartBackup").WithSummary("Back up the database, Redis, patterns, agent branches and configuration into one archive (admin)");
        backups.MapGet("/", ListAsync).RequireAuthorization(Policies.Admin)
            .WithName("ListBackups").WithSummary("Backups, newest first");
        backups.MapGet("/{id}", GetAsync).RequireAuthorization(Policies.Admin)
            .WithName("GetBackup").WithSummary("A backup's status, contents, checksums and progress log");
        backups.MapPost("/{id}/verify", VerifyAsync).RequireAuthorization(Policies.Admin)
            .WithName("VerifyBackup").WithSummary("Check the archive's checksums and restore its dump into a scratch database (admin)");
        backups.MapPost("/{id}/restore", RestoreAsync).RequireAuthorization(Policies.Admin)
            .WithName("RestoreBackup").WithSummary("Stop cycles, then bring back exactly what the backup holds (admin)");
        app.MapGet("/api/v1/restores/{id}", GetRestoreAsync).RequireAuthorization(Policies.Admin).WithTags("Backups")
            .WithName("GetRestore").WithSummary("A restore's status and progress log");
        return app;
    }

    private static async Task<Accepted<BackupAccepted>> StartAsync(HttpContext http, BackupService service, CancellationToken ct)
    {
        var row = await service.StartBackupAsync(Caller(http), ct);
        return TypedResults.Accepted($"/api/v1/backups/{row.BackupId}", new BackupAccepted(row.BackupId, row.Status));
    }

    private static async Task<Ok<BackupList>> ListAsync(BackupStore store, BackupService service, Microsoft.Extensions.Options.IOptions<BackupOptions> options, int? limit, CancellationToken ct) =>
        TypedResults.Ok(new BackupList((await store.ListAsync(Math.Clamp(limit ?? 100, 1, 1000), ct)).Select(Map).ToList(), service.Folder, options.Value.RetentionDays));

    private static async Task<Results<Ok<BackupResponse>, ProblemHttpResult>> GetAsync(string id, BackupStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } row ? TypedResults.Ok(Map(row)) : Problems.NotFound($"Backup '{id}' does not exist.");

    private static async Task<Results<Ok<VerifyResult>, ProblemHttpResult>> VerifyAsync(string id, BackupStore store, BackupService service, CancellationToken ct)
    {
        var row = await store.GetAsync(id, ct);
        if (row is null) return Problems.NotFound($"Backup '{id}' does not exist.");
        if (row.Status != BackupStatus.Completed) return Problems.Conflict("backup_not_completed", $"Backup '{id}' is {row.Status}.");
        return TypedResults.Ok(await service.VerifyAsync(row, ct));
    }

    private static async Task<Results<Accepted<RestoreAccepted>, ProblemHttpResult>> RestoreAsync(string id, HttpContext http, BackupStore store, BackupService service, CancellationToken ct)
    {
        var row = await store.GetAsync(id, ct);
        if (row is null) return Problems.NotFound($"Backup '{id}' does not exist.");
        if (row.Status != BackupStatus.Completed) return Problems.Conflict("backup_not_completed", $"Backup '{id}' is {row.Status}.");
        var restore = await service.StartRestoreAsync(row, Caller(http), ct);
        return TypedResults.Accepted($"/api/v1/restores/{restore.RestoreId}", new RestoreAccepted(restore.RestoreId, restore.Status));
    }

    private static async Task<Results<Ok<RestoreResponse>, ProblemHttpResult>> GetRestoreAsync(string id, BackupStore store, CancellationToken ct) =>
        await store.GetRestoreAsync(id, ct) is { } r
            ? TypedResults.Ok(new RestoreResponse(r.RestoreId, r.BackupId, r.Status, r.CreatedAt, r.CompletedAt, r.Log, r.Error))
            : Problems.NotFound($"Restore '{id}' does not exist.");

    private static BackupResponse Map(BackupRow r) =>
        new(r.BackupId, r.Status, r.CreatedAt, r.CompletedAt, r.SizeBytes, r.Path, r.Sha256, r.Contents, r.Checksums, r.Log, r.Error);

    private static string Caller(HttpContext http) => http.User.FindFirst(TokenIssuer.SubjectClaim)?.Value ?? "unknown";
}
