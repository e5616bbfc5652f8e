using System.Globalization;

namespace Dean.Orchestrator.OperatorConsole;

/// <summary>How the console writes numbers: the same way on every page, whatever the server's culture.</summary>
public static class ConsoleFormat
{
    public static string Score(double? score) => score?.ToString("G6", CultureInfo.InvariantCulture) ?? "–";

    public static string Tokens(long tokens) => tokens.ToString("N0", CultureInfo.InvariantCulture);
}
