using System.CommandLine;
using Spectre.Console;

namespace Dean.Cli.Commands;

/// <summary><c>dean login</c>: signs in at the Orchestrator and saves the tokens and the addresses in the profile.</summary>
public static class LoginCommand
{
    public static Command Create(CommandContext context)
    {
        var username = new Option<string>("--username", "-u") { Description = "The user to sign in as", DefaultValueFactory = _ => "admin" };
        var password = new Option<string?>("--password", "-p") { Description = "The password (visible to other users of this machine: prefer --password-stdin or the prompt)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input" };
        var command = new Command("login", "Sign in and remember the tokens for the other commands") { username, password, passwordStdin };
        command.SetAction(context.Action(async (parse, api, output, ct) =>
        {
            var secret = parse.GetValue(password)
                         ?? (parse.GetValue(passwordStdin) ? (await System.Console.In.ReadLineAsync(ct))?.TrimEnd('\r', '\n') : null)
                         ?? (output.Console.Profile.Capabilities.Interactive ? output.Console.Prompt(new TextPrompt<string>("Password:").Secret()) : null);
            if (string.IsNullOrEmpty(secret))
            {
                output.Error("no password: pass --password-stdin, or run in a terminal to be asked");
                return 2;
            }
            var user = parse.GetValue(username)!;
            var tokens = await api.LoginAsync(user, secret, ct);
            var endpoints = api.Endpoints;
            new Profile(endpoints.Orchestrator, endpoints.IndexAgent, endpoints.Economy, user, tokens.AccessToken, tokens.RefreshToken)
                .Save(context.Settings.ConfigDirectory);
            if (output.IsJson) output.WriteJson(new { username = user, orchestrator = endpoints.Orchestrator, expires_in = tokens.ExpiresIn });
            else output.Line($"Signed in as [bold]{Markup.Escape(user)}[/] at {Markup.Escape(endpoints.Orchestrator)}; the token lasts {tokens.ExpiresIn / 60} minutes and refreshes itself.");
            return 0;
        }));
        return command;
    }
}
