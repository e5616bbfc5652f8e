using System.Text.RegularExpressions;

namespace Dean.IndexAgent.Evaluation;

/// <summary>The validity gate's answer: <see cref="Message"/> says what is wrong when it did not pass.</summary>
public sealed record GateVerdict(bool Passed, bool Ran, string? Message, long DurationMs)
{
    public static GateVerdict NotChecked { get; } = new(true, false, null, 0);
}

/// <summary>The built-in check for Python files, and how a check process's outcome reads.</summary>
public static partial class ValidityGate
{
    public const string Reason = "check_failed";

    // compile() (not just ast.parse) also catches what the symbol table refuses, e.g. 'return' outside a function.
    private const string PythonParse = """
        import sys
        for path in sys.argv[1:]:
            try:
                compile(open(path, encoding="utf-8").read(), path, "exec")
            except (SyntaxError, ValueError) as error:
                line = getattr(error, "lineno", None)
                print(f"{path}:{line}: {type(error).__name__}: {getattr(error, 'msg', error)}", file=sys.stderr)
                sys.exit(1)
        """;

    /// <summary>
    /// The built-in parse check of the changed <c>.py</c> files, or null when none needs one: not a Python file, or a
    /// change of numeric literals only (a number for a number never breaks the syntax, so it costs no process).
    /// </summary>
    public static string? PythonParseCommand(IReadOnlyDictionary<string, string> changes, IReadOnlyDictionary<string, string> originals)
    {
        var python = changes.Where(c => c.Key.EndsWith(".py", StringComparison.Ordinal)
                                        && !(originals.TryGetValue(c.Key, out var before) && SameShape(before, c.Value)))
            .Select(c => c.Key).Order(StringComparer.Ordinal).ToList();
        return python.Count == 0 ? null : $"python3 -c {ShellQuote(PythonParse)} {string.Join(' ', python.Select(ShellQuote))}";
    }

    /// <summary>
    /// Exit 0 passes. A built-in check that cannot run (no <c>python3</c>: exit 126/127) lets the candidate through to the
    /// evaluator, which will judge it anyway; a task's own check that cannot run fails, as its author asked for it.
    /// </summary>
    public static GateVerdict Judge(ProcessOutcome outcome, bool builtIn)
    {
        var ms = (long)outcome.Duration.TotalMilliseconds;
        if (outcome.TimedOut) return new(false, true, $"check timed out after {outcome.Timeout.TotalSeconds:0.#} s", ms);
        if (outcome.StartError is not null) return new(builtIn, true, $"check could not start: {outcome.StartError}", ms);
        if (outcome.ExitCode == 0) return new(true, true, null, ms);
        if (builtIn && outcome.ExitCode is 126 or 127) return new(true, true, "python3 not found: parse check skipped", ms);
        var output = (outcome.Stderr.Trim().Length > 0 ? outcome.Stderr : outcome.Stdout).Trim();
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var message = lines.Length == 0 ? $"check exited with code {outcome.ExitCode}" : string.Join(" | ", lines.TakeLast(3));
        return new(false, true, message.Length > 500 ? message[..500] : message, ms);
    }

    /// <summary>Whether two texts differ in numeric literals only.</summary>
    public static bool SameShape(string before, string after) =>
        NumberLiteral().Replace(before, "0") == NumberLiteral().Replace(after, "0");

    [GeneratedRegex(@"(?<![\w.])(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")]
    private static partial Regex NumberLiteral();

    public static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
