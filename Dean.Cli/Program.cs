using Dean.Cli;
using Spectre.Console;

return await DeanCommandLine.RunAsync(args, AnsiConsole.Console, CliSettings.FromEnvironment());
