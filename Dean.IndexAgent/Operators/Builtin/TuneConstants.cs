using System.Globalization;
using System.Text.RegularExpressions;
using Dean.IndexAgent.Agents;

namespace Dean.IndexAgent.Operators.Builtin;

/// <summary>
/// Numeric-literal perturbation: reals are multiplied by a log-normal factor, integers move a few steps (of their own
/// order of magnitude) up or down; the spread grows with <c>mutation_rate</c> and <c>exploration</c>.
/// </summary>
public sealed partial class TuneConstants : IEditStrategy
{
    [GeneratedRegex(@"(?<![\w.])(?<number>\d+\.\d*|\.\d+|\d+)(?<exponent>[eE][-+]?\d+)?(?![\w.])")]
    private static partial Regex NumberPattern();

    public string Name => Genome.TuneConstants;

    public Edit? TryEdit(ProposalContext context, string strategy, Random random)
    {
        var literals = new List<(EvolveFile File, int Line, Match Match)>();
        foreach (var (file, at) in EditableLines.Code(context.Files))
            foreach (Match match in NumberPattern().Matches(file.Lines[at]))
                if (!InsideString(file.Lines[at], match.Index)) literals.Add((file, at, match));
        if (literals.Count == 0) return null;

        var (target, index, literal) = EditableLines.Pick(literals, random);
        var traits = context.Genome.Traits;
        var text = literal.Value;
        var isReal = text.Contains('.') || literal.Groups["exponent"].Success;
        string replacement;
        if (isReal)
        {
            var value = double.Parse(text, CultureInfo.InvariantCulture);
            var sigma = 0.05 + context.Genome.MutationRate * (0.5 + traits.Exploration);
            var next = value * Math.Exp(sigma * EditableLines.Gaussian(random));
            replacement = next.ToString("G4", CultureInfo.InvariantCulture);
            if (!replacement.Contains('.') && !replacement.Contains('E')) replacement += ".0";
        }
        else
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return null;
            var unit = value >= 10 ? (long)Math.Pow(10, Math.Floor(Math.Log10(value)) - 1) : 1;
            var steps = 1 + random.Next(1 + (int)Math.Round(3 * traits.Exploration));
            var next = value + (random.Next(2) == 0 ? -1 : 1) * steps * unit;
            replacement = Math.Max(0, next).ToString(CultureInfo.InvariantCulture);
        }
        if (replacement == text) return null;

        var line = target.Lines[index];
        var newLine = line[..literal.Index] + replacement + line[(literal.Index + literal.Length)..];
        return new Edit(target.Path, EditableLines.Replace(target, index, [newLine]), "tune-constants",
            $"{target.Path}:{index + 1}: {text} -> {replacement}", newLine);
    }

    /// <summary>Whether the position is inside a quoted string on that line (numbers in messages are not constants).</summary>
    private static bool InsideString(string line, int position)
    {
        char? quote = null;
        for (var i = 0; i < position; i++)
        {
            var c = line[i];
            if (quote is null && (c == '"' || c == '\'')) quote = c;
            else if (quote == c && (i == 0 || line[i - 1] != '\\')) quote = null;
        }
        return quote is not null;
    }
}
