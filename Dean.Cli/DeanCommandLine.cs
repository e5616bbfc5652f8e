using System.CommandLine;
using System.Net.Http;
using Dean.Cli.Commands;
using Spectre.Console;

namespace Dean.Cli;

/// <summary>
/// `dean`: the runbook's operations from a terminal. Every command reads the same options (the services' addresses,
/// <c>--json</c>), and every failure a service answers is printed from its ProblemDetails with exit code 1.
/// </summary>
public static class DeanCommandLine
{
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, CliSettings settings, HttpMessageHandler? handler = null)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("DEAN: evolve programs with a population of agents, and operate the services that do it.");
        foreach (var option in globals.All) root.Options.Add(option);

        var context = new CommandContext(console, settings, globals, handler);
        foreach (var command in new[]
                 {
                     LoginCommand.Create(context), StatusCommand.Create(context), RunCommand.Create(context), EvolveCommands.Create(context),
                     EvolveCommands.Cycles(context), EvolveCommands.Cycle(context), EvolveCommands.Stop(context), EvolveCommands.Patch(context), EvolveCommands.Export(context),
                     EconomyCommands.Agents(context), EconomyCommands.Budget(context), EconomyCommands.Allocate(context),
                     BackupCommands.Backup(context), BackupCommands.Restore(context),
                 })
            root.Subcommands.Add(command);

        var output = new ConsoleWriter(console);
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output });
    }
}

/// <summary>The options every command takes.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Url { get; } = new("--url") { Description = "The Orchestrator (default: $DEAN_URL, the signed-in profile, http://localhost:8082)", Recursive = true };
    public Option<string?> IndexAgentUrl { get; } = new("--index-agent-url") { Description = "The IndexAgent (default: $DEAN_INDEXAGENT_URL, the profile, http://localhost:8081)", Recursive = true };
    public Option<string?> EconomyUrl { get; } = new("--economy-url") { Description = "The Economy (default: $DEAN_ECONOMY_URL, the profile, http://localhost:8090)", Recursive = true };
    public Option<bool> Json { get; } = new("--json") { Description = "Print the services' JSON (one line per event while watching) instead of tables", Recursive = true };

    public IEnumerable<Option> All => [Url, IndexAgentUrl, EconomyUrl, Json];
}

/// <summary>What a command's action needs: the console, where the services are, the signed-in API, and the failure handling.</summary>
public sealed class CommandContext(IAnsiConsole console, CliSettings settings, GlobalOptions globals, HttpMessageHandler? handler)
{
    public IAnsiConsole Console => console;
    public CliSettings Settings => settings;
    public GlobalOptions Globals => globals;

    /// <summary>Addresses from the options, then the environment, then the saved profile, then the runbook's ports.</summary>
    public Endpoints Endpoints(ParseResult parse)
    {
        var profile = Profile.Load(settings.ConfigDirectory);
        return new Endpoints(
            parse.GetValue(globals.Url) ?? settings.OrchestratorUrl ?? profile.Orchestrator ?? CliSettings.DefaultOrchestrator,
            parse.GetValue(globals.IndexAgentUrl) ?? settings.IndexAgentUrl ?? profile.IndexAgent ?? CliSettings.DefaultIndexAgent,
            parse.GetValue(globals.EconomyUrl) ?? settings.EconomyUrl ?? profile.Economy ?? CliSettings.DefaultEconomy,
            settings.Token ?? profile.AccessToken);
    }

    public DeanApi Api(ParseResult parse) => new(Endpoints(parse), settings.ConfigDirectory, handler);

    public bool Json(ParseResult parse) => parse.GetValue(globals.Json);

    /// <summary>Runs an action with the signed-in API; a refusal or an unreachable service is one line and exit code 1.</summary>
    public Func<ParseResult, CancellationToken, Task<int>> Action(Func<ParseResult, DeanApi, Output, CancellationToken, Task<int>> action) =>
        async (parse, ct) =>
        {
            using var api = Api(parse);
            var output = new Output(console, Json(parse));
            try
            {
                return await action(parse, api, output, ct);
            }
            catch (ApiProblem problem)
            {
                output.Problem(problem);
                return 1;
            }
            catch (HttpRequestException e)
            {
                output.Error($"cannot reach the service: {e.Message}");
                return 1;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                output.Error("cancelled");
                return 130;
            }
        };
}
