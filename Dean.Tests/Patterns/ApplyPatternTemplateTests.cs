using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Operators;
using Dean.IndexAgent.Operators.Builtin;
using Dean.IndexAgent.Patterns;

namespace Dean.Tests.Patterns;

/// <summary>The builtin operator applies a catalogued pattern by its template: to code with other literals, inside EVOLVE-BLOCKs only.</summary>
public sealed class ApplyPatternTemplateTests
{
    private const string Before = "# EVOLVE-BLOCK-START\ndef f(x):\n    y = x * 2\n    return y\n# EVOLVE-BLOCK-END\n";
    private const string After = "# EVOLVE-BLOCK-START\ndef f(x):\n    y = x * 2\n    y = max(y, 0)\n    return y\n# EVOLVE-BLOCK-END\n";

    private static Edit? Apply(string code, string template, int seed = 1)
    {
        var genome = Genome.Default with { Strategies = ["pattern:pattern_x"] };
        var context = new ProposalContext("agent_t", "goal", genome, [EvolveFile.Create("p.py", code)], seed, null,
            [new PatternEdit("pattern_x", "unused", "unused", template)], null);
        return new ApplyPattern().TryEdit(context, "pattern:pattern_x", new Random(seed));
    }

    [Fact]
    public void A_template_applies_to_code_with_other_literals_and_indentation()
    {
        var template = PatternTemplate.From(DiffNormalizer.Normalize(Before, After)).ToJson();
        var other = "import math\n# EVOLVE-BLOCK-START\ndef f(x):\n        y = x * 7\n        return y\n# EVOLVE-BLOCK-END\n";
        var edit = Apply(other, template);
        Assert.NotNull(edit);
        Assert.Equal("apply-pattern", edit.Kind);
        Assert.Contains("y = x * 7\n        y = max(y, 0)\n        return y", edit.NewContent);
        Assert.StartsWith("import math\n", edit.NewContent);
        Assert.Contains("max(y, 0)", edit.Written);
    }

    [Fact]
    public void A_site_outside_the_evolve_block_is_never_edited()
    {
        var template = PatternTemplate.From(DiffNormalizer.Normalize(Before, After)).ToJson();
        var frozen = "def f(x):\n    y = x * 7\n    return y\n# EVOLVE-BLOCK-START\nz = 1\n# EVOLVE-BLOCK-END\n";
        Assert.Null(Apply(frozen, template));
    }
}
