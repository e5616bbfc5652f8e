namespace Dean.Orchestrator.Auth;

public static class AuthRegistration
{
    public static IHostApplicationBuilder AddOrchestratorAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<OrchestratorOptions>(builder.Configuration.GetSection(OrchestratorOptions.Section));
        builder.Services.AddSingleton<UserStore>();
        builder.Services.AddHostedService<AdminBootstrapper>();
        BasicAuthenticationHandler.Register(builder.Services);
        return builder;
    }
}
