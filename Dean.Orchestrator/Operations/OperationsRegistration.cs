namespace Dean.Orchestrator.Operations;

public static class OperationsRegistration
{
    public static IHostApplicationBuilder AddOperations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ServiceStatusProbe>();
        builder.Services.AddHostedService<MetricsWarmup>();
        return builder;
    }
}
