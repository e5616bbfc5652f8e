using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Operators;
using Dean.IndexAgent.Operators.Builtin;

namespace Dean.Tests.IndexAgent;

public sealed class BuiltinOperatorTests
{
    private static readonly TokenCounter Tokens = new();
    private static readonly string Program = File.ReadAllText(Path.Combine(TempDirectory.SamplesRoot, "function-minimization", "program.py"));
    private static readonly EvolveScope Scope = new(["program.py"]);

    private static BuiltinOperator Operator() =>
        new(Tokens, [new TuneConstants(), new Simplify(), new Restructure(), new Reorder(), new Crossover(), new ApplyPattern()]);

    private static ProposalContext Context(int seed, Genome? genome = null, IReadOnlyList<PatternEdit>? patterns = null, IReadOnlyList<EvolveFile>? crossover = null) =>
        new("agent_test", "minimise", genome ?? Genome.Default, [EvolveFile.Create("program.py", Program)], seed, null, patterns ?? [], crossover);

    [Fact]
    public async Task The_same_seed_gives_the_same_proposal()
    {
        var op = Operator();
        for (var seed = 0; seed < 20; seed++)
        {
            var context = Context(seed);
            var bound = op.MaxTokens(context, 1_000_000);
            var first = await op.ProposeAsync(context, bound, CancellationToken.None);
            var second = await op.ProposeAsync(context, bound, CancellationToken.None);
            Assert.Equal(first.Changes, second.Changes);
            Assert.Equal(first.TokensUsed, second.TokensUsed);
            Assert.Equal(first.Description, second.Description);
        }
        var proposals = new HashSet<string>();
        for (var seed = 0; seed < 20; seed++) proposals.Add((await op.ProposeAsync(Context(seed), 100_000, CancellationToken.None)).Changes["program.py"]);
        Assert.True(proposals.Count > 10, "different seeds should mostly give different edits");
    }

    [Fact]
    public async Task Every_edit_stays_inside_the_evolve_block_and_within_the_bound()
    {
        var op = Operator();
        var kinds = new HashSet<string>();
        for (var seed = 0; seed < 300; seed++)
        {
            var context = Context(seed);
            var bound = op.MaxTokens(context, 1_000_000);
            var proposal = await op.ProposeAsync(context, bound, CancellationToken.None);
            Assert.Null(proposal.Failure);
            Assert.Null(Scope.Check(new Dictionary<string, string> { ["program.py"] = Program }, proposal.Changes));
            Assert.InRange(proposal.TokensUsed, Tokens.Count("program.py\n" + Program), bound);
            kinds.Add(proposal.Kind);
        }
        Assert.Superset(new HashSet<string> { "tune-constants", "line-delete", "line-swap", "line-duplicate", "operator-swap" }, kinds);
    }

    [Fact]
    public async Task Token_usage_is_what_was_read_plus_what_was_written()
    {
        var op = Operator();
        var genome = Genome.Default with { Strategies = [Genome.TuneConstants] };
        var proposal = await op.ProposeAsync(Context(7, genome), 100_000, CancellationToken.None);
        var newLines = proposal.Changes["program.py"].Split('\n');
        var changed = newLines.Where((l, i) => l != Program.Split('\n')[i]).Single();
        Assert.Equal(Tokens.Count("program.py\n" + Program) + Tokens.Count(changed), proposal.TokensUsed);
        Assert.Equal(proposal.TokensUsed - 5, (await op.ProposeAsync(Context(7, genome), proposal.TokensUsed - 5, CancellationToken.None)).TokensUsed);
    }

    [Fact]
    public async Task The_genome_strategies_choose_the_kind_of_edit()
    {
        var op = Operator();
        foreach (var (strategy, kinds) in new[]
                 {
                     (Genome.TuneConstants, new[] { "tune-constants" }), (Genome.Simplify, ["line-delete"]),
                     (Genome.Reorder, ["line-swap"]), (Genome.Restructure, ["operator-swap", "line-duplicate"]),
                 })
        {
            for (var seed = 0; seed < 10; seed++)
            {
                var proposal = await op.ProposeAsync(Context(seed, Genome.Default with { Strategies = [strategy] }), 100_000, CancellationToken.None);
                Assert.Contains(proposal.Kind, kinds);
            }
        }
    }

    [Fact]
    public async Task Crossover_adopts_a_hunk_of_the_other_version()
    {
        var theirs = Program.Replace("step = 2.0", "step = 3.5").Replace("restart_every = 1000", "restart_every = 77");
        var genome = Genome.Default with { Strategies = [Genome.Crossover] };
        var proposal = await Operator().ProposeAsync(Context(1, genome, crossover: [EvolveFile.Create("program.py", theirs)]), 100_000, CancellationToken.None);
        Assert.Equal("crossover", proposal.Kind);
        var result = proposal.Changes["program.py"];
        Assert.True(result.Contains("step = 3.5") ^ result.Contains("restart_every = 77"), "exactly one differing hunk is adopted");

        // Without a source the genome's only strategy cannot edit: the step is not spent on nothing, another kind is tried.
        var fallback = await Operator().ProposeAsync(Context(1, genome), 100_000, CancellationToken.None);
        Assert.Null(fallback.Failure);
        Assert.NotEqual("crossover", fallback.Kind);
        var nothing = await Operator().ProposeAsync(new ProposalContext("a", "g", genome, [EvolveFile.Create("empty.py", "# EVOLVE-BLOCK-START\n# EVOLVE-BLOCK-END\n")], 1, null, [], null),
            100_000, CancellationToken.None);
        Assert.NotNull(nothing.Failure);
    }

    [Fact]
    public async Task With_the_common_ancestor_crossover_adds_the_sources_changes_and_keeps_the_agents_own()
    {
        var ancestor = EvolveFile.Create("program.py", Program);
        var mine = Program.Replace("shrink = 0.999", "shrink = 0.995");
        var theirs = Program.Replace("step = 2.0", "step = 3.5").Replace("restart_every = 1000", "restart_every = 77");
        var genome = Genome.Default with { Strategies = [Genome.Crossover] };
        var adopted = new HashSet<string>();
        for (var seed = 0; seed < 40; seed++)
        {
            var context = new ProposalContext("agent_test", "minimise", genome, [EvolveFile.Create("program.py", mine)], seed, null, [],
                [EvolveFile.Create("program.py", theirs)], CrossoverAncestor: [ancestor]);
            var proposal = await Operator().ProposeAsync(context, Operator().MaxTokens(context, 1_000_000), CancellationToken.None);
            Assert.Equal("crossover", proposal.Kind);
            var result = proposal.Changes["program.py"];
            Assert.Contains("shrink = 0.995", result); // never a revert of the agent's own change
            Assert.True(result.Contains("step = 3.5") || result.Contains("restart_every = 77"), "at least one of the source's changes");
            adopted.Add((result.Contains("step = 3.5") ? "step " : "") + (result.Contains("restart_every = 77") ? "restart" : ""));
        }
        Assert.Equal(["restart", "step ", "step restart"], adopted.Order());

        // When the agent already holds every change the source made, the merge has nothing to add.
        var nothingNew = new ProposalContext("agent_test", "minimise", genome, [EvolveFile.Create("program.py", theirs.Replace("shrink = 0.999", "shrink = 0.995"))], 1, null, [],
            [EvolveFile.Create("program.py", theirs)], CrossoverAncestor: [ancestor]);
        var other = await Operator().ProposeAsync(nothingNew, 100_000, CancellationToken.None);
        Assert.True(other.Kind != "crossover", other.Description);
    }

    [Fact]
    public async Task A_pattern_strategy_applies_that_pattern_reindented()
    {
        var pattern = new PatternEdit("p7", "step = step * shrink", "step = step * shrink * shrink");
        var genome = Genome.Default with { Strategies = ["pattern:p7"] };
        var proposal = await Operator().ProposeAsync(Context(3, genome, [pattern, new PatternEdit("other", "zzz", "yyy")]), 100_000, CancellationToken.None);
        Assert.Equal("apply-pattern", proposal.Kind);
        Assert.Contains("        step = step * shrink * shrink\n", proposal.Changes["program.py"]);
    }

    [Fact]
    public async Task Nothing_outside_the_block_is_ever_a_target()
    {
        // Constants and lines outside the EVOLVE-BLOCK (the objective's "20") never change.
        var op = Operator();
        for (var seed = 0; seed < 100; seed++)
        {
            var changed = (await op.ProposeAsync(Context(seed), 100_000, CancellationToken.None)).Changes["program.py"];
            Assert.StartsWith(Program[..Program.IndexOf("# EVOLVE-BLOCK-START", StringComparison.Ordinal)], changed);
        }
    }

    /// <summary>
    /// Line deletes, swaps and duplicates keep a Python block well formed: indentation intact, no block header or only
    /// statement deleted, no name's only definition deleted while it is used, no use moved above its definition. Every
    /// structural proposal for two programs is compiled by Python, and the names each still uses are still defined.
    /// </summary>
    [Fact]
    public async Task Structural_edits_keep_the_program_well_formed()
    {
        var programs = new[]
        {
            Program,
            "import math\n# EVOLVE-BLOCK-START\ndef pack(items, capacity):\n    bins = []\n    loads = []\n    for item in sorted(items, reverse=True):\n" +
            "        best = -1\n        slack = capacity + 1\n        for i, load in enumerate(loads):\n            room = capacity - load - item\n" +
            "            if room >= 0 and room < slack:\n                best, slack = i, room\n        if best < 0:\n            bins.append([item])\n" +
            "            loads.append(item)\n        else:\n            bins[best].append(item)\n            loads[best] += item\n    return bins\n# EVOLVE-BLOCK-END\n",
        };
        using var directory = new TempDirectory();
        var written = new List<string>();
        var op = Operator();
        foreach (var (program, p) in programs.Select((text, i) => (text, i)))
        {
            foreach (var strategy in new[] { Genome.Simplify, Genome.Reorder, Genome.Restructure })
            {
                for (var seed = 0; seed < 60; seed++)
                {
                    var context = new ProposalContext("a", "g", Genome.Default with { Strategies = [strategy] }, [EvolveFile.Create("program.py", program)], seed, null, [], null);
                    var proposal = await op.ProposeAsync(context, 100_000, CancellationToken.None);
                    if (proposal.Failure is not null) continue;
                    written.Add(directory.Write($"c{p}_{strategy}_{seed}.py", proposal.Changes["program.py"]));
                }
            }
        }
        Assert.True(written.Count > 200);
        // compile() catches syntax and indentation errors; symtable finds a local read that nothing in the function assigns.
        directory.Write("check.py", """
            import sys, symtable, builtins
            bad = []
            for path in sys.argv[1:]:
                source = open(path).read()
                try:
                    compile(source, path, "exec")
                    table = symtable.symtable(source, path, "exec")
                    defined = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
                    for child in table.get_children():
                        inner = {s.get_name() for s in child.get_symbols() if s.is_assigned() or s.is_parameter() or s.is_imported()}
                        for symbol in child.get_symbols():
                            name = symbol.get_name()
                            if symbol.is_referenced() and name not in inner and name not in defined and not hasattr(builtins, name):
                                bad.append(f"{path}: {name} is used but never defined")
                except SyntaxError as error:
                    bad.append(f"{path}: {type(error).__name__}: {error}")
            print("\n".join(bad))
            sys.exit(1 if bad else 0)
            """);
        var outcome = await Dean.IndexAgent.Evaluation.ProcessRunner.RunAsync(directory.Path, $"python3 check.py {string.Join(' ', written.Select(Path.GetFileName))}",
            TimeSpan.FromSeconds(60), 1 << 20, CancellationToken.None);
        Assert.True(outcome.ExitCode == 0, outcome.Stdout + outcome.Stderr);
    }

    [Fact]
    public void Efficiency_is_an_ema_of_gain_per_thousand_tokens_and_seeds_are_stable()
    {
        Assert.Equal(0.3 * 2.0, EvolutionStep.NextEfficiency(0, 1.0, 500), 12);
        Assert.Equal(0.7 * 0.6, EvolutionStep.NextEfficiency(0.6, 0, 500), 12);
        Assert.Equal(EvolutionStep.StableSeed("agent_001", 3), EvolutionStep.StableSeed("agent_001", 3));
        Assert.NotEqual(EvolutionStep.StableSeed("agent_001", 3), EvolutionStep.StableSeed("agent_001", 4));
        Assert.True(EvolutionStep.StableSeed("agent_002", 0) >= 0);
    }
}
