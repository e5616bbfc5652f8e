namespace Dean.Cli;

/// <summary>
/// Where `dean` keeps its sign-in and which services it talks to when no option says: the environment
/// (<c>DEAN_URL</c>, <c>DEAN_INDEXAGENT_URL</c>, <c>DEAN_ECONOMY_URL</c>, <c>DEAN_TOKEN</c>, <c>DEAN_CONFIG_DIR</c>), then the saved
/// profile, then the runbook's ports on localhost.
/// </summary>
public sealed record CliSettings(string ConfigDirectory, string? OrchestratorUrl = null, string? IndexAgentUrl = null, string? EconomyUrl = null,
    string? Token = null, TimeSpan? PollInterval = null)
{
    public const string DefaultOrchestrator = "http://localhost:8082";
    public const string DefaultIndexAgent = "http://localhost:8081";
    public const string DefaultEconomy = "http://localhost:8090";

    public TimeSpan Poll => PollInterval ?? TimeSpan.FromSeconds(1);

    public static CliSettings FromEnvironment()
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
        var config = Env("DEAN_CONFIG_DIR")
                     ?? Path.Combine(Env("XDG_CONFIG_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"), "dean");
        return new CliSettings(config, Env("DEAN_URL"), Env("DEAN_INDEXAGENT_URL"), Env("DEAN_ECONOMY_URL"), Env("DEAN_TOKEN"));
    }
}
