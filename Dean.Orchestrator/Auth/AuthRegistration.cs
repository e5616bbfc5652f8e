namespace Dean.Orchestrator.Auth;

public static class AuthRegistration
{
    public static IHostApplicationBuilder AddOrchestratorAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<OrchestratorOptions>(builder.Configuration.GetSection(OrchestratorOptions.Section));
        builder.Services.AddSingleton<UserStore>();
        builder.Services.Configure<SignInOptions>(builder.Configuration.GetSection(SignInOptions.Section));
        builder.Services.AddSingleton<CredentialThrottle>();
        builder.Services.AddTransient<IStartupFilter, AirflowPort.Filter>();
        builder.Services.AddHostedService<AdminBootstrapper>();
        BasicAuthenticationHandler.Register(builder.Services);
        return builder;
    }
}
