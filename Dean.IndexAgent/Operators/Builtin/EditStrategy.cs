namespace Dean.IndexAgent.Operators.Builtin;

/// <summary>One edit a strategy produced: the new content of one file, and the text it wrote (billed as output tokens).</summary>
public sealed record Edit(string Path, string NewContent, string Kind, string Description, string Written);

/// <summary>
/// The builtin operator's extension point: one implementation per strategy name of the genome vocabulary
/// (<c>tune-constants</c>, <c>simplify</c>, <c>restructure</c>, <c>reorder</c>, <c>crossover</c>, <c>apply-pattern</c>;
/// <c>apply-pattern</c> also serves <c>pattern:{id}</c>). Registering another <see cref="IEditStrategy"/> with the same
/// <see cref="Name"/> in DI replaces the built-in one (the last registration wins), e.g. a pattern applier that
/// de-normalises catalogued diffs. Implementations are pure: no I/O, all randomness from the given <see cref="Random"/>.
/// </summary>
public interface IEditStrategy
{
    string Name { get; }

    /// <summary>An edit of the context's files inside their editable ranges, or null when this strategy has nothing to do.</summary>
    Edit? TryEdit(ProposalContext context, string strategy, Random random);

    /// <summary>An upper bound of the tokens of <see cref="Edit.Written"/> for this context (the step reserves it).</summary>
    int MaxWrittenTokens(ProposalContext context, TokenCounter tokens) =>
        context.Files.Select(f => tokens.Count(f.EditableText())).DefaultIfEmpty(0).Max();
}

/// <summary>Helpers shared by the line-level strategies.</summary>
public static class EditableLines
{
    /// <summary>Editable lines that hold code (not blank, not a comment line): (file, line index).</summary>
    public static List<(EvolveFile File, int Line)> Code(IEnumerable<EvolveFile> files)
    {
        var result = new List<(EvolveFile, int)>();
        foreach (var file in files)
        {
            var lines = file.Lines;
            foreach (var range in file.Editable)
                for (var i = range.Start; i < range.End; i++)
                    if (IsCode(lines[i])) result.Add((file, i));
        }
        return result;
    }

    public static bool IsCode(string line)
    {
        var trimmed = line.Trim();
        return trimmed.Length > 0 && !trimmed.StartsWith('#') && !trimmed.StartsWith("//", StringComparison.Ordinal)
               && !trimmed.StartsWith('*') && !trimmed.StartsWith("/*", StringComparison.Ordinal)
               && !trimmed.StartsWith("\"\"\"", StringComparison.Ordinal) && !trimmed.StartsWith("'''", StringComparison.Ordinal);
    }

    public static string Indentation(string line) => line[..(line.Length - line.TrimStart().Length)];

    public static string Replace(EvolveFile file, int line, IEnumerable<string> replacement, int count = 1)
    {
        var lines = file.Lines.ToList();
        lines.RemoveRange(line, count);
        lines.InsertRange(line, replacement);
        return string.Join('\n', lines);
    }

    public static T Pick<T>(IReadOnlyList<T> items, Random random) => items[random.Next(items.Count)];

    /// <summary>A standard normal sample (Box–Muller), from the seeded generator only.</summary>
    public static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
