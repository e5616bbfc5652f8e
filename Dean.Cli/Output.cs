using System.Text;
using System.Text.Json;
using Dean.Contracts;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Dean.Cli;

/// <summary>How a command prints: the services' JSON with <c>--json</c> (for scripts), tables and lines otherwise.</summary>
public sealed class Output(IAnsiConsole console, bool json)
{
    private static readonly JsonSerializerOptions Indented = new(DeanJson.Options) { WriteIndented = true };

    public bool IsJson => json;
    public IAnsiConsole Console => console;

    /// <summary>Interactive terminals get live progress; pipes, CI logs and <c>--json</c> get one line per event.</summary>
    public bool IsLive => !json && console.Profile.Capabilities.Interactive;

    /// <summary>The value as JSON with <c>--json</c>, else the rendering.</summary>
    public void Show<T>(T value, Func<T, IRenderable> render)
    {
        if (json) WriteJson(value, indented: true);
        else console.Write(render(value));
    }

    public void WriteJson<T>(T value, bool indented = false) =>
        console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, indented ? Indented : DeanJson.Options));

    public void Line(string markup)
    {
        if (!json) console.MarkupLine(markup);
    }

    public void Error(string message) => console.MarkupLineInterpolated($"[red]error:[/] {message}");

    public void Problem(ApiProblem problem) =>
        console.MarkupLineInterpolated($"[red]error:[/] {problem.Detail ?? problem.Title} [grey]({(int)problem.Status} {problem.Type})[/]");

    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns) table.AddColumn(new TableColumn(column));
        return table;
    }

    public static string Score(double? score) => score is { } s ? s.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture) : "—";

    public static string Status(string status) => status switch
    {
        "healthy" or "completed" or "active" => $"[green]{status}[/]",
        "degraded" or "stopping" or "budget_exhausted" or "paused" or "running" => $"[yellow]{status}[/]",
        "unhealthy" or "failed" or "stopped" => $"[red]{status}[/]",
        _ => Markup.Escape(status),
    };
}

/// <summary>The command line's own output (help, parse errors) goes to the same console as everything else.</summary>
internal sealed class ConsoleWriter(IAnsiConsole console) : TextWriter
{
    public override Encoding Encoding => Encoding.UTF8;
    public override void Write(char value) => console.Profile.Out.Writer.Write(value);
    public override void Write(string? value) => console.Profile.Out.Writer.Write(value);
    public override void WriteLine(string? value) => console.Profile.Out.Writer.WriteLine(value);
}
