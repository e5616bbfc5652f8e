using System.Text.RegularExpressions;
using Dean.IndexAgent.Agents;

namespace Dean.IndexAgent.Operators.Builtin;

/// <summary>Deletes one editable code line.</summary>
public sealed class Simplify : IEditStrategy
{
    public string Name => Genome.Simplify;

    public Edit? TryEdit(ProposalContext context, string strategy, Random random)
    {
        var lines = EditableLines.Code(context.Files);
        if (lines.Count == 0) return null;
        var (file, index) = EditableLines.Pick(lines, random);
        return new Edit(file.Path, EditableLines.Replace(file, index, []), "line-delete",
            $"{file.Path}:{index + 1}: delete '{file.Lines[index].Trim()}'", "");
    }
}

/// <summary>Swaps two adjacent editable code lines of the same indentation (so the structure stays intact).</summary>
public sealed class Reorder : IEditStrategy
{
    public string Name => Genome.Reorder;

    public Edit? TryEdit(ProposalContext context, string strategy, Random random)
    {
        var pairs = new List<(EvolveFile File, int Line)>();
        foreach (var file in context.Files)
        {
            var lines = file.Lines;
            foreach (var range in file.Editable)
                for (var i = range.Start; i + 1 < range.End; i++)
                    if (EditableLines.IsCode(lines[i]) && EditableLines.IsCode(lines[i + 1]) && lines[i] != lines[i + 1]
                        && EditableLines.Indentation(lines[i]) == EditableLines.Indentation(lines[i + 1]))
                        pairs.Add((file, i));
        }
        if (pairs.Count == 0) return null;
        var (target, index) = EditableLines.Pick(pairs, random);
        var all = target.Lines;
        return new Edit(target.Path, EditableLines.Replace(target, index, [all[index + 1], all[index]], 2), "line-swap",
            $"{target.Path}:{index + 1}: swap with the next line", all[index + 1] + "\n" + all[index]);
    }
}

/// <summary>A comparison or arithmetic operator swap, or a duplicated line: structure-level changes.</summary>
public sealed partial class Restructure : IEditStrategy
{
    private static readonly Dictionary<string, string> Swaps = new()
    {
        [" <= "] = " < ", [" < "] = " <= ", [" >= "] = " > ", [" > "] = " >= ", [" == "] = " != ", [" != "] = " == ",
        [" + "] = " - ", [" - "] = " + ", [" * "] = " / ", [" / "] = " * ",
    };

    [GeneratedRegex(@" (<=|>=|==|!=|<|>|\+|-|\*|/) ")]
    private static partial Regex OperatorPattern();

    public string Name => Genome.Restructure;

    public Edit? TryEdit(ProposalContext context, string strategy, Random random)
    {
        var lines = EditableLines.Code(context.Files);
        if (lines.Count == 0) return null;
        var operators = lines.SelectMany(l => OperatorPattern().Matches(l.File.Lines[l.Line]).Select(m => (l.File, l.Line, Match: m))).ToList();
        if (operators.Count > 0 && random.Next(2) == 0)
        {
            var (file, index, match) = EditableLines.Pick(operators, random);
            var line = file.Lines[index];
            var swapped = Swaps[match.Value];
            var newLine = line[..match.Index] + swapped + line[(match.Index + match.Length)..];
            return new Edit(file.Path, EditableLines.Replace(file, index, [newLine]), "operator-swap",
                $"{file.Path}:{index + 1}: '{match.Value.Trim()}' -> '{swapped.Trim()}'", newLine);
        }
        var (target, at) = EditableLines.Pick(lines, random);
        var copy = target.Lines[at];
        return new Edit(target.Path, EditableLines.Replace(target, at, [copy, copy]), "line-duplicate",
            $"{target.Path}:{at + 1}: duplicate '{copy.Trim()}'", copy);
    }
}
