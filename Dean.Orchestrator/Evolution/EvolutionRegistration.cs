using Dean.Orchestrator.Clients;
using Dean.ServiceDefaults.Http;
using Microsoft.Extensions.Http.Resilience;

namespace Dean.Orchestrator.Evolution;

public static class EvolutionRegistration
{
    public static IHostApplicationBuilder AddEvolution(this IHostApplicationBuilder builder)
    {
        builder.AddDeanServiceClient<EconomyClient>("economy");
        // An evolution step runs an evaluator (up to its timeout) or a population step: allow minutes, and never
        // retry a POST — a step repeated by a retry would be charged twice.
#pragma warning disable EXTEXP0001 // the documented way to replace the default pipeline for one client
        builder.AddDeanServiceClient<IndexAgentClient>("indexagent")
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(options =>
            {
                options.AttemptTimeout.Timeout = TimeSpan.FromMinutes(10);
                options.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(30);
                options.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(20);
                options.Retry.DisableForUnsafeHttpMethods();
            });
#pragma warning restore EXTEXP0001
        builder.Services.AddSingleton<CycleStore>();
        builder.Services.AddTransient<CycleLauncher>();
        builder.Services.AddTransient<CycleStopper>();
        builder.Services.AddSingleton<CycleEvents>();
        builder.Services.AddSingleton<CycleMetrics>();
        builder.Services.AddTransient<CycleRunner>();
        builder.Services.AddHostedService<CycleRecovery>();
        builder.Services.AddHostedService<DemoCycle>();
        return builder;
    }
}
