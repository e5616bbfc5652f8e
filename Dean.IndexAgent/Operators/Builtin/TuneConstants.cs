using System.Globalization;
using System.Text.RegularExpressions;
using Dean.IndexAgent.Agents;

namespace Dean.IndexAgent.Operators.Builtin;

/// <summary>
/// Numeric-literal perturbation: reals are multiplied by a log-normal factor, integers move a few steps (of their own
/// order of magnitude) up or down; the spread grows with <c>mutation_rate</c> and <c>exploration</c>, and is scaled by the
/// agent's adapted <c>step_scale</c>.
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
            var sigma = (0.05 + context.Genome.MutationRate * (0.5 + traits.Exploration)) * context.Genome.StepScale;
            replacement = FormatReal(Perturb(value, sigma, EditableLines.Gaussian(random)));
        }
        else
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return null;
            var unit = value >= 10 ? (long)Math.Pow(10, Math.Floor(Math.Log10(value)) - 1) : 1;
            var steps = 1 + random.Next(1 + (int)Math.Round(3 * traits.Exploration * context.Genome.StepScale));
            var next = value + (random.Next(2) == 0 ? -1 : 1) * steps * unit;
            replacement = Math.Max(0, next).ToString(CultureInfo.InvariantCulture);
        }
        if (replacement == text) return null;

        var line = target.Lines[index];
        var newLine = line[..literal.Index] + replacement + line[(literal.Index + literal.Length)..];
        return new Edit(target.Path, EditableLines.Replace(target, index, [newLine]), "tune-constants",
            $"{target.Path}:{index + 1}: {text} -> {replacement}", newLine);
    }

    /// <summary>
    /// A log-normal step for a real; a fraction in (0, 1) moves in logit space instead, so a factor close to 1 (a decay,
    /// a probability) moves its distance to 1 multiplicatively and never crosses 1 or 0.
    /// </summary>
    public static double Perturb(double value, double sigma, double gaussian)
    {
        if (value is > 0 and < 1)
        {
            var logit = Math.Log(value / (1 - value)) + 1.5 * sigma * gaussian;
            return 1 / (1 + Math.Exp(-logit));
        }
        return value * Math.Exp(sigma * gaussian);
    }

    /// <summary>Four significant digits of the value, or of its distance to 1 for a fraction close to 1; always a real literal.</summary>
    public static string FormatReal(double value)
    {
        var magnitude = value is > 0.5 and < 1 ? 1 - value : Math.Abs(value);
        var digits = magnitude is > 0 and < 1 && value is > 0.5 and < 1 ? 4 + (int)Math.Ceiling(-Math.Log10(magnitude)) : 4;
        var text = value.ToString("G" + Math.Min(digits, 15), CultureInfo.InvariantCulture);
        return text.Contains('.') || text.Contains('E') ? text : text + ".0";
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
