using System.Text.RegularExpressions;
using Dean.IndexAgent.Agents;

namespace Dean.IndexAgent.Operators.Builtin;

/// <summary>Deletes one editable code line that the program can do without (<see cref="LineStructure.CanDelete"/>).</summary>
public sealed class Simplify : IEditStrategy
{
    public string Name => Genome.Simplify;

    public Edit? TryEdit(ProposalContext context, string strategy, Random random)
    {
        var structure = context.Files.ToDictionary(f => f, LineStructure.Of);
        var lines = EditableLines.Code(context.Files).Where(l => structure[l.File].CanDelete(l.Line)).ToList();
        if (lines.Count == 0) return null;
        var (file, index) = EditableLines.Pick(lines, random);
        return new Edit(file.Path, EditableLines.Replace(file, index, []), "line-delete",
            $"{file.Path}:{index + 1}: delete '{file.Lines[index].Trim()}'", "");
    }
}

/// <summary>Swaps two adjacent editable statements of the same indentation whose order can change (<see cref="LineStructure.CanSwap"/>).</summary>
public sealed class Reorder : IEditStrategy
{
    public string Name => Genome.Reorder;

    public Edit? TryEdit(ProposalContext context, string strategy, Random random)
    {
        var pairs = new List<(EvolveFile File, int Line)>();
        foreach (var file in context.Files)
        {
            var lines = file.Lines;
            var structure = LineStructure.Of(file);
            foreach (var range in file.Editable)
                for (var i = range.Start; i + 1 < range.End; i++)
                    if (EditableLines.IsCode(lines[i]) && EditableLines.IsCode(lines[i + 1]) && lines[i] != lines[i + 1]
                        && EditableLines.Indentation(lines[i]) == EditableLines.Indentation(lines[i + 1]) && structure.CanSwap(i))
                        pairs.Add((file, i));
        }
        if (pairs.Count == 0) return null;
        var (target, index) = EditableLines.Pick(pairs, random);
        var all = target.Lines;
        return new Edit(target.Path, EditableLines.Replace(target, index, [all[index + 1], all[index]], 2), "line-swap",
            $"{target.Path}:{index + 1}: swap with the next line", all[index + 1] + "\n" + all[index]);
    }
}

/// <summary>A comparison or arithmetic operator swap, or a duplicated simple statement: structure-level changes.</summary>
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
        var structure = context.Files.ToDictionary(f => f, LineStructure.Of);
        var statements = lines.Where(l => structure[l.File].IsSimpleStatement(l.Line)).ToList();
        if (statements.Count == 0) return null;
        var (target, at) = EditableLines.Pick(statements, random);
        var copy = target.Lines[at];
        return new Edit(target.Path, EditableLines.Replace(target, at, [copy, copy]), "line-duplicate",
            $"{target.Path}:{at + 1}: duplicate '{copy.Trim()}'", copy);
    }
}

/// <summary>
/// What a line edit may do without breaking the program's structure, judged from indentation, brackets and names (so it
/// holds for Python and for brace languages alike): a block's header, the only statement of a block, a line that
/// continues on the next one, a <c>return</c>, and the only definition of a name used elsewhere are never deleted; a
/// swap never moves a use of a name above the line that defines it.
/// </summary>
public sealed partial class LineStructure
{
    private readonly string[] _lines;
    private readonly HashSet<string>[] _defined;
    private readonly HashSet<string>[] _used;

    // The names of every line, found once per file rather than once per line examined.
    private LineStructure(string[] lines)
    {
        _lines = lines;
        _defined = lines.Select(DefinedNames).ToArray();
        _used = lines.Select(UsedNames).ToArray();
    }

    public static LineStructure Of(EvolveFile file) => new(file.Lines);

    [GeneratedRegex(@"^\s*(?:(?:return|yield|raise|break|continue|pass|else|elif|except|finally|case|default)\b|[})\]])")]
    private static partial Regex ControlFlow();

    [GeneratedRegex(@"^\s*(?:(?:def|class|for|async\s+for)\s+)?(?<names>[A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)\s*(?:=(?!=)|\bin\b|\()")]
    private static partial Regex Definition();

    [GeneratedRegex(@"[A-Za-z_]\w*")]
    private static partial Regex Identifier();

    /// <summary>A complete statement on one line that neither opens nor closes a block.</summary>
    public bool IsSimpleStatement(int index) => IsSimpleStatement(_lines, index);

    private static bool IsSimpleStatement(IReadOnlyList<string> lines, int index)
    {
        var line = lines[index];
        var trimmed = StripComment(line).TrimEnd();
        if (trimmed.Length == 0 || ControlFlow().IsMatch(trimmed)) return false;
        if (trimmed.EndsWith(':') || trimmed.EndsWith('\\') || trimmed.EndsWith(',') || trimmed.EndsWith('{') || trimmed.EndsWith('}')) return false;
        if (BracketBalance(trimmed) != 0) return false;
        // A deeper next line means this one heads a block (or continues an expression).
        var next = NextCode(lines, index);
        return next is null || EditableLines.Indentation(lines[next.Value]).Length <= EditableLines.Indentation(line).Length;
    }

    public bool CanDelete(int index)
    {
        var lines = _lines;
        if (!IsSimpleStatement(lines, index)) return false;
        // The only statement of its block: the lines around it are both less indented.
        var indent = EditableLines.Indentation(lines[index]).Length;
        var previous = PreviousCode(lines, index);
        var next = NextCode(lines, index);
        if (indent > 0 && (previous is null || EditableLines.Indentation(lines[previous.Value]).Length < indent)
            && (next is null || EditableLines.Indentation(lines[next.Value]).Length < indent))
            return false;
        // A definition may go only when the name is already bound at that point (defined before, not inside a deeper
        // block), or when nothing else reads it: otherwise the program meets a NameError or UnboundLocalError.
        foreach (var name in _defined[index])
        {
            var usedElsewhere = Enumerable.Range(0, lines.Length).Any(i => i != index && _used[i].Contains(name));
            var boundBefore = Enumerable.Range(0, index).Any(i => _defined[i].Contains(name) && EditableLines.Indentation(lines[i]).Length <= indent);
            if (usedElsewhere && !boundBefore) return false;
        }
        return true;
    }

    /// <summary>Whether lines <paramref name="index"/> and the next can change places.</summary>
    public bool CanSwap(int index)
    {
        if (!IsSimpleStatement(_lines, index) || !IsSimpleStatement(_lines, index + 1)) return false;
        var first = _defined[index];
        // The second line reads what the first defines, or both define the same name: the swap would read a stale or
        // missing value, or drop an update.
        return !_used[index + 1].Overlaps(first) && !first.Overlaps(_defined[index + 1]);
    }

    /// <summary>Names a line assigns, iterates over or declares (<c>x = …</c>, <c>a, b = …</c>, <c>for i in</c>, <c>def f(</c>).</summary>
    private static HashSet<string> DefinedNames(string line)
    {
        var match = Definition().Match(StripComment(line));
        if (!match.Success) return [];
        var text = match.Value;
        // A call such as f(x) is a use, not a definition, unless the line starts with def or class.
        if (text.TrimEnd().EndsWith('(') && !Regex.IsMatch(text, @"^\s*(?:def|class)\s")) return [];
        return match.Groups["names"].Value.Split(',').Select(n => n.Trim()).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Every identifier a line mentions outside strings and comments.</summary>
    private static HashSet<string> UsedNames(string line) =>
        Identifier().Matches(WithoutStrings(StripComment(line))).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

    private static int? NextCode(IReadOnlyList<string> lines, int index)
    {
        for (var i = index + 1; i < lines.Count; i++)
            if (EditableLines.IsCode(lines[i])) return i;
        return null;
    }

    private static int? PreviousCode(IReadOnlyList<string> lines, int index)
    {
        for (var i = index - 1; i >= 0; i--)
            if (EditableLines.IsCode(lines[i])) return i;
        return null;
    }

    private static int BracketBalance(string line)
    {
        var balance = 0;
        foreach (var c in WithoutStrings(line))
            balance += c is '(' or '[' or '{' ? 1 : c is ')' or ']' or '}' ? -1 : 0;
        return balance;
    }

    private static string StripComment(string line)
    {
        // Only '#' comments: '//' is Python's floor division, and brace languages' comment lines are not code lines.
        var hash = WithoutStrings(line).IndexOf('#');
        return hash < 0 ? line : line[..hash];
    }

    /// <summary>The line with the contents of its quoted strings blanked out (same length, so positions still match).</summary>
    private static string WithoutStrings(string line)
    {
        var chars = line.ToCharArray();
        char? quote = null;
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            if (quote is null)
            {
                if (c is '"' or '\'') quote = c;
            }
            else if (c == quote && (i == 0 || line[i - 1] != '\\'))
            {
                quote = null;
            }
            else
            {
                chars[i] = ' ';
            }
        }
        return new string(chars);
    }
}
