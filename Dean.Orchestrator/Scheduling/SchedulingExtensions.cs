using Dean.ServiceDefaults;
using Dean.ServiceDefaults.Auth;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Npgsql;

namespace Dean.Orchestrator.Scheduling;

/// <summary>Hangfire on PostgreSQL (in place of Airflow), through Aspire's pooled, instrumented data source.</summary>
public static class SchedulingExtensions
{
    private const string DashboardPath = "/hangfire";
    private const string TokenCookie = "dean_access_token";

    public static IHostApplicationBuilder AddDeanScheduling(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHangfire((sp, config) => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(
                options => options.UseConnectionFactory(new DataSourceConnectionFactory(sp.GetRequiredService<NpgsqlDataSource>())),
                new PostgreSqlStorageOptions
                {
                    SchemaName = "hangfire",
                    // The build's OpenAPI run has no database to prepare.
                    PrepareSchemaIfNecessary = !DocumentGeneration.IsActive,
                    // The default 15 s poll would delay every cycle start; poll often and wake on NOTIFY.
                    QueuePollInterval = TimeSpan.FromMilliseconds(500),
                    EnableLongPolling = true,
                    // With the sliding timeout a live worker keeps its job; a crashed one's job is picked up again after this.
                    InvisibilityTimeout = TimeSpan.FromSeconds(30),
                    UseSlidingInvisibilityTimeout = true,
                })
            // Keep a week of finished jobs: the dagRuns API answers from this history.
            .WithJobExpirationTimeout(TimeSpan.FromDays(7)));
        builder.Services.Configure<ScheduleOptions>(builder.Configuration.GetSection(ScheduleOptions.Section));
        builder.Services.AddTransient<ScheduledJobs>();
        builder.Services.AddHostedService<RecurringJobsRegistrar>();
        builder.Services.AddHangfireServer(options =>
        {
            options.SchedulePollingInterval = TimeSpan.FromSeconds(1);
            options.WorkerCount = Math.Max(4, Environment.ProcessorCount * 2);
        });
        return builder;
    }

    /// <summary>The dashboard at <c>/hangfire</c>, admin only. A browser passes <c>?access_token=</c> once; a cookie carries it after.</summary>
    public static WebApplication MapDeanScheduling(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(DashboardPath) && context.Request.Query.TryGetValue("access_token", out var token))
            {
                context.Response.Cookies.Append(TokenCookie, token.ToString(), new CookieOptions
                {
                    HttpOnly = true,
                    SameSite = SameSiteMode.Strict,
                    Path = DashboardPath,
                    Secure = context.Request.IsHttps,
                });
            }
            await next(context);
        });
        app.MapHangfireDashboard(DashboardPath, new DashboardOptions { Authorization = [], DashboardTitle = "DEAN schedules" })
            .RequireAuthorization(Policies.Admin);
        app.MapDagRunsApi();
        return app;
    }

    private sealed class DataSourceConnectionFactory(NpgsqlDataSource dataSource) : IConnectionFactory
    {
        public NpgsqlConnection GetOrCreateConnection() => dataSource.CreateConnection();
    }
}
