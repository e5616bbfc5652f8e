using Dean.Orchestrator.Auth;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Dean.Tests.Orchestrator;

public sealed class AdminBootstrapperTests
{
    [Theory]
    [InlineData("admin")]
    [InlineData("elevenchars")]
    public async Task A_configured_admin_password_shorter_than_twelve_characters_stops_the_start(string password)
    {
        // The refusal comes before any database work: this data source is never opened.
        await using var unused = NpgsqlDataSource.Create("Host=unused.invalid;Database=none");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["DEAN_ADMIN_PASSWORD"] = password }).Build();
        var bootstrapper = new AdminBootstrapper(new UserStore(unused, TimeProvider.System), configuration,
            Options.Create(new OrchestratorOptions()), NullLogger<AdminBootstrapper>.Instance);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => bootstrapper.StartAsync(CancellationToken.None));
        Assert.Contains("at least 12", refused.Message);
        Assert.Contains($"{password.Length} characters", refused.Message);
    }
}
