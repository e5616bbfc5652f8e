using System.Security.Cryptography;
using Dean.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;

namespace Dean.Orchestrator.Auth;

public sealed class OrchestratorOptions
{
    public const string Section = "Orchestrator";

    /// <summary>Where the orchestrator keeps files that must survive restarts (the generated admin password, backups).</summary>
    public string DataDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, ".dean");

    /// <summary>The most agents one <c>POST population/spawn</c> creates (each costs a baseline evaluation).</summary>
    public int MaxSpawnBatch { get; set; } = 100;

    /// <summary>The port the Airflow endpoint listens on (set by the AppHost); null serves no Airflow port.</summary>
    public int? AirflowPort { get; set; }

    /// <summary>The port the operator console listens on (the AppHost's <c>console</c> endpoint); null serves no console.</summary>
    public int? ConsolePort { get; set; }
}

/// <summary>
/// Ensures the <c>admin</c> user exists. <c>DEAN_ADMIN_PASSWORD</c> (or <c>Auth:AdminPassword</c>) is re-applied at every
/// start; without it a random password is generated on first start, written to <c>{DataDirectory}/admin-password</c>
/// (git-ignored) and logged once. There is never a default password.
/// </summary>
public sealed class AdminBootstrapper(UserStore users, IConfiguration configuration, IOptions<OrchestratorOptions> options, ILogger<AdminBootstrapper> logger)
    : IHostedService
{
    public const string AdminUser = "admin";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configured = configuration["DEAN_ADMIN_PASSWORD"] ?? configuration["Auth:AdminPassword"];
        if (!string.IsNullOrEmpty(configured))
        {
            if (configured.Length < UserStore.MinPasswordLength)
                throw new InvalidOperationException(
                    $"DEAN_ADMIN_PASSWORD has {configured.Length} characters; it needs at least {UserStore.MinPasswordLength}. Choose a longer one, or unset it to have one generated.");
            await users.UpsertAsync(AdminUser, configured, Roles.Admin, cancellationToken);
            logger.LogInformation("Admin password applied from DEAN_ADMIN_PASSWORD");
            return;
        }
        if (await users.ExistsAsync(AdminUser, cancellationToken)) return;

        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', 'x').Replace('/', 'y');
        var file = Path.Combine(options.Value.DataDirectory, "admin-password");
        Directory.CreateDirectory(options.Value.DataDirectory);
        await File.WriteAllTextAsync(file, password + "\n", cancellationToken);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await users.CreateAsync(AdminUser, password, Roles.Admin, cancellationToken);
        logger.LogWarning("Generated the admin password (shown once, also stored in {File}): {Password}", file, password);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
