using Dean.IndexAgent.Agents;
using System.Globalization;
using Dean.IndexAgent.Evolution;
using Dean.IndexAgent.Patterns;

namespace Dean.Bench.Evolution;

/// <summary>
/// The operator both searches use, modelled on the built-in operator of DESIGN section 4: numeric-literal perturbation
/// (log-normal multiplicative, spread from mutation_rate and exploration), line-level crossover with another agent's
/// version, and application of a catalogued pattern. The genome's strategies weight which edit is tried.
/// </summary>
public sealed class EditOperator(IReadOnlyDictionary<string, PatternTemplate> patterns)
{
    public static EditOperator WithoutPatterns { get; } = new(new Dictionary<string, PatternTemplate>());

    public (string Program, string Kind) Propose(string program, Genome genome, string? crossoverSource, Random random)
    {
        // Absent strategies keep a small weight so every agent can still do something.
        double Weight(string strategy) => genome.HasStrategy(strategy) ? 1.0 : 0.1;
        var adopted = genome.Strategies.Select(GenomeOperations.PatternIdOf).OfType<string>().Where(patterns.ContainsKey).ToArray();
        var options = new List<(string Kind, double Weight)> { (Genome.TuneConstants, Weight(Genome.TuneConstants)) };
        if (crossoverSource is not null && crossoverSource != program) options.Add((Genome.Crossover, Weight(Genome.Crossover)));
        if (adopted.Length > 0) options.Add((Genome.ApplyPattern, 0.5 + Weight(Genome.ApplyPattern)));

        var pick = random.NextDouble() * options.Sum(o => o.Weight);
        var kind = options.First(o => (pick -= o.Weight) <= 0 || o == options[^1]).Kind;
        switch (kind)
        {
            case Genome.Crossover:
                return (LineCrossover.Combine(program, crossoverSource!, random, differFromFirst: true), kind);
            case Genome.ApplyPattern:
                var applied = PatternApplier.Apply(patterns[random.Pick(adopted)], program, random);
                if (applied.Applied) return (applied.Text, kind);
                break;
        }
        return (TuneConstant(program, genome, random), Genome.TuneConstants);
    }

    private static string TuneConstant(string program, Genome genome, Random random)
    {
        var lines = LineDiff.SplitLines(program).ToArray();
        var literals = lines.SelectMany((line, index) => CodeTokenizer.Tokenize(line)
            .Where(t => t.Kind == TokenKind.Number).Select(t => (index, t))).ToArray();
        if (literals.Length == 0) return program;
        var (lineIndex, token) = random.Pick(literals);
        var value = double.Parse(token.Text, CultureInfo.InvariantCulture);
        var spread = genome.MutationRate * (1 + 2 * genome.Traits.Exploration);
        var isInteger = !token.Text.Contains('.') && !token.Text.Contains('e', StringComparison.OrdinalIgnoreCase);
        string replacement;
        if (isInteger)
        {
            var scaled = (long)Math.Round(value * Math.Exp(spread * 2 * random.NextGaussian()));
            if (scaled == (long)value) scaled += random.Next(2) == 0 ? -1 : 1;
            replacement = scaled.ToString(CultureInfo.InvariantCulture);
        }
        else replacement = (value * Math.Exp(spread * random.NextGaussian())).ToString("G6", CultureInfo.InvariantCulture);
        if (!replacement.Contains('.') && !isInteger && !replacement.Contains('E')) replacement += ".0";
        var line = lines[lineIndex];
        lines[lineIndex] = line[..token.Start] + replacement + line[(token.Start + token.Text.Length)..];
        return string.Join('\n', lines) + "\n";
    }
}
