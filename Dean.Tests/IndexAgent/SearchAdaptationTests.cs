using Dean.IndexAgent;
using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evaluation;
using Dean.IndexAgent.Evolution;
using Dean.IndexAgent.Operators;
using Dean.IndexAgent.Operators.Builtin;
using Dean.IndexAgent.Targets;
using Dean.IndexAgent.Workspace;
using Dean.ServiceDefaults.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dean.Tests.IndexAgent;

/// <summary>The step's validity gate and learning, with the product's operator, gate and evaluator processes.</summary>
public sealed class SearchAdaptationTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().AddSingleton<DeanMeters>().BuildServiceProvider();
    private readonly EvaluationRunner _runner;

    public SearchAdaptationTests() =>
        _runner = new EvaluationRunner(Options.Create(new IndexAgentOptions { MaxConcurrentEvaluations = 1 }), new IndexAgentMetrics(_services.GetRequiredService<DeanMeters>()));

    public void Dispose() => _services.Dispose();

    private static BuiltinOperator Builtin() =>
        new(new TokenCounter(), [new TuneConstants(), new Simplify(), new Restructure(), new Reorder(), new Crossover(), new ApplyPattern()]);

    [Fact]
    public void Spread_widens_after_failures_and_narrows_after_a_success()
    {
        var genome = Genome.Default;
        for (var k = 1; k <= 4; k++)
        {
            var wider = SearchAdaptation.After(genome, Genome.TuneConstants, StepVerdict.NotImproved);
            Assert.True(wider.StepScale > genome.StepScale, $"failure {k} widens");
            genome = wider;
        }
        Assert.Equal(Math.Pow(SearchAdaptation.SpreadFactor, 1.0), genome.StepScale, 6); // four failures undo one success
        var narrower = SearchAdaptation.After(genome, Genome.TuneConstants, StepVerdict.Accepted);
        Assert.Equal(genome.StepScale / SearchAdaptation.SpreadFactor, narrower.StepScale, 9);

        // Bounded both ways, and kept apart from mutation_rate.
        for (var k = 0; k < 50; k++) genome = SearchAdaptation.After(genome, Genome.TuneConstants, StepVerdict.Broken);
        Assert.Equal(Genome.MaxStepScale, genome.StepScale);
        for (var k = 0; k < 50; k++) genome = SearchAdaptation.After(genome, Genome.TuneConstants, StepVerdict.Accepted);
        Assert.Equal(Genome.MinStepScale, genome.StepScale);
        Assert.Equal(Genome.Default.MutationRate, genome.MutationRate);
        // Edits without a spread, and steps with nothing to learn from, leave it alone.
        Assert.Equal(genome.StepScale, SearchAdaptation.After(genome, Genome.Reorder, StepVerdict.NotImproved).StepScale);
        Assert.Same(genome, SearchAdaptation.After(genome, Genome.TuneConstants, StepVerdict.NoEdit));
    }

    [Fact]
    public void A_strategy_that_pays_now_and_then_keeps_more_weight_than_one_that_never_pays_however_often_tried()
    {
        // Tune-constants pays one edit in twenty and is tried four times as often as reorder, which never pays;
        // crossover is never tried (no source). The estimate must rank them by how often they pay, not how often they ran.
        var genome = Genome.Default;
        for (var step = 0; step < 400; step++)
        {
            var reorder = step % 5 == 4;
            genome = SearchAdaptation.After(genome, reorder ? Genome.Reorder : Genome.TuneConstants,
                !reorder && step % 20 == 0 ? StepVerdict.Accepted : StepVerdict.NotImproved);
        }
        Assert.InRange(genome.WeightOf(Genome.TuneConstants), 0.15, 1.5); // about one in sixteen against a prior of one in ten
        Assert.Equal(Genome.MinStrategyWeight, genome.WeightOf(Genome.Reorder), 9);
        Assert.Equal(1.0, genome.WeightOf(Genome.Crossover), 9);
    }

    [Fact]
    public async Task The_targets_evidence_weighs_the_choice_and_a_strategy_that_cannot_edit_never_crowds_out_one_that_can()
    {
        var evidence = new Dictionary<string, StrategyEvidence>
        {
            [Genome.TuneConstants] = new(200, 12), // 6%: about half the prior
            [Genome.Reorder] = new(200, 0),
        };
        Assert.Equal(1.0, StrategyCredit.Multiplier(evidence, Genome.Simplify));
        Assert.Equal((12 + 0.5) / 205 / 0.1, StrategyCredit.Multiplier(evidence, Genome.TuneConstants), 9);
        Assert.Equal(Genome.MinStrategyWeight, StrategyCredit.Multiplier(evidence, Genome.Reorder), 9);
        Assert.Equal(1.0, StrategyCredit.Multiplier(new Dictionary<string, StrategyEvidence> { [Genome.Reorder] = new(0, 0) }, Genome.Reorder), 9);

        var op = Builtin();
        var file = EvolveFile.Create("p.py", "def f(x):\n    a = 2.0\n    b = a * x\n    return b + 1.5\n");
        // Crossover and apply-pattern have nothing to work with here, however much the genome weighs them.
        var genome = Genome.Default with
        {
            StrategyWeights = new Dictionary<string, double> { [Genome.Crossover] = 10, [Genome.ApplyPattern] = 10, [Genome.TuneConstants] = 0.1 },
        };
        var kinds = new Dictionary<string, int>();
        for (var seed = 0; seed < 200; seed++)
        {
            var proposal = await op.ProposeAsync(new ProposalContext("a", "g", genome, [file], seed, null, [], null, evidence), 10_000, CancellationToken.None);
            Assert.Null(proposal.Failure);
            kinds[proposal.Strategy!] = kinds.GetValueOrDefault(proposal.Strategy!) + 1;
        }
        Assert.DoesNotContain(Genome.Crossover, kinds.Keys);
        // Reorder never paid on this target: the operator tries it far less often than simplify, of which nothing is known.
        Assert.True(kinds.GetValueOrDefault(Genome.Reorder) * 3 < kinds.GetValueOrDefault(Genome.Simplify) + kinds.GetValueOrDefault(Genome.Restructure),
            string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}")));
    }

    [Fact]
    public void What_the_population_learned_reaches_every_agent()
    {
        var learned = Genome.Default with { StrategyWeights = new Dictionary<string, double> { [Genome.TuneConstants] = 4.0, [Genome.Simplify] = 0.25 } };
        var pooled = SearchAdaptation.Pool([learned, Genome.Default, Genome.Default, Genome.Default]);
        Assert.Equal(Math.Pow(4.0, 0.25), pooled.Weights[Genome.TuneConstants], 9);
        Assert.Equal(1.0, pooled.Weights[Genome.Reorder], 9);

        var shared = SearchAdaptation.Share(Genome.Default, pooled);
        Assert.True(shared.WeightOf(Genome.TuneConstants) > 1 && shared.WeightOf(Genome.Simplify) < 1);
        Assert.True(Genome.Default.SameAs(shared));
        // The agent keeps half of what it learned itself (in log space).
        Assert.Equal(Math.Sqrt(4.0 * pooled.Weights[Genome.TuneConstants]), SearchAdaptation.Share(learned, pooled).WeightOf(Genome.TuneConstants), 9);
    }

    [Fact]
    public async Task The_spread_changes_how_far_tune_constants_moves_a_literal()
    {
        var op = Builtin();
        var file = EvolveFile.Create("p.py", "x = 10.0\n");
        async Task<double> MeanLogMove(double scale)
        {
            var sum = 0.0;
            for (var seed = 0; seed < 200; seed++)
            {
                var genome = Genome.Default with { Strategies = [Genome.TuneConstants], StepScale = scale };
                var proposal = await op.ProposeAsync(new ProposalContext("a", "g", genome, [file], seed, null, [], null), 10_000, CancellationToken.None);
                var value = double.Parse(proposal.Changes["p.py"].Split('=')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                sum += Math.Abs(Math.Log(value / 10.0));
            }
            return sum / 200;
        }
        Assert.True(await MeanLogMove(4) > 3 * await MeanLogMove(0.5));
    }

    [Fact]
    public async Task A_candidate_with_a_syntax_error_never_reaches_the_evaluator()
    {
        using var target = new TempDirectory();
        target.Write("program.py", "def f():\n    return 1\n");
        // The evaluator announces every run: the gate must stop the broken candidate before it.
        using var witness = new EvaluationWitness();
        target.Write("evaluate.sh", $"{witness.Command}; echo '{{\"score\": 1}}'\n");
        var task = new TaskFile("t", ["program.py"], "sh evaluate.sh", null, 10, Network: true);
        var broken = new FixedProposal(new Dictionary<string, string> { ["program.py"] = "def f(:\n    return 1\n" });
        var context = new ProposalContext("a", "g", Genome.Default, [EvolveFile.Create("program.py", target.Read("program.py"))], 1, null, [], null);

        var trial = await new CandidateTrial(_runner).RunAsync(broken, context, 100, new EvolveScope(["program.py"]), new WorktreeEdit(target.Path), target.Path, task,
            0.5, (_, _) => Task.FromResult(false), redrawKnownPrograms: true, CancellationToken.None);

        Assert.True(trial.CheckFailed);
        Assert.Null(trial.Verdict);
        Assert.Equal(0, await witness.RunsAsync());
        Assert.Contains("SyntaxError", trial.Gate!.Message);
        Assert.Equal(StepVerdict.CheckFailed, trial.Learning);

        // The task's own check replaces the built-in one, and a passing candidate reaches the evaluator once.
        var withCheck = task with { Check = "grep -q 'return 2' program.py" };
        var fixedOne = new FixedProposal(new Dictionary<string, string> { ["program.py"] = "def f():\n    return 2\n" });
        var passed = await new CandidateTrial(_runner).RunAsync(fixedOne, context, 100, new EvolveScope(["program.py"]), new WorktreeEdit(target.Path), target.Path, withCheck,
            0.5, (_, _) => Task.FromResult(false), redrawKnownPrograms: true, CancellationToken.None);
        Assert.False(passed.CheckFailed);
        Assert.True(passed.Improves);
        Assert.Equal(1, await witness.RunsAsync(atLeast: 1));
        var changes = new Dictionary<string, string> { ["program.py"] = target.Read("program.py") };
        var refused = await _runner.CheckAsync(target.Path, withCheck with { Check = "grep -q 'return 3' program.py" }, changes, changes, CancellationToken.None);
        Assert.False(refused.Passed);

        // A change of numbers only cannot break the syntax: the built-in check runs no process for it.
        Assert.Null(ValidityGate.PythonParseCommand(new Dictionary<string, string> { ["p.py"] = "x = 2.5e-3\n" }, new Dictionary<string, string> { ["p.py"] = "x = 1.0\n" }));
        Assert.NotNull(ValidityGate.PythonParseCommand(new Dictionary<string, string> { ["p.py"] = "x = (1.0\n" }, new Dictionary<string, string> { ["p.py"] = "x = 1.0\n" }));
        Assert.Null(ValidityGate.PythonParseCommand(new Dictionary<string, string> { ["p.txt"] = "x = (\n" }, new Dictionary<string, string>()));
    }

    /// <summary>
    /// A target where only one kind of edit can pay: its score is the value of <c>alpha</c>, and any change of the
    /// program's shape fails. Over a run of steps the product's step learns to prefer tune-constants.
    /// </summary>
    [Fact]
    public async Task On_a_target_where_only_constants_pay_the_tune_constants_weight_rises()
    {
        using var target = new TempDirectory();
        target.Write("program.cfg", "# EVOLVE-BLOCK-START\nalpha = 1.0\nbeta = 2.0\ngamma = alpha + beta\n# EVOLVE-BLOCK-END\n");
        target.Write("evaluate.sh", """
            shape=$(sed -n '2,4p' program.cfg | sed -E 's/[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?/N/g' | tr '\n' '|')
            if [ "$shape" != "alpha = N|beta = N|gamma = alpha + beta|" ]; then echo '{"passed": false, "feedback": "shape changed"}'; exit 0; fi
            alpha=$(sed -n '2p' program.cfg | cut -d= -f2 | tr -d ' ')
            echo "{\"score\": $alpha}"
            """);
        var task = new TaskFile("only-constants", ["program.cfg"], "sh evaluate.sh", null, 10);
        var op = Builtin();
        var trials = new CandidateTrial(_runner);
        var genome = Genome.Default;
        double? fitness = 1.0;
        var known = new HashSet<string>();
        for (var step = 0; step < 60; step++)
        {
            var files = new[] { EvolveFile.Create("program.cfg", target.Read("program.cfg")) };
            var context = new ProposalContext("a", "g", genome, files, EvolutionStep.StableSeed("learning", step), null, [], null);
            var edit = new WorktreeEdit(target.Path);
            var trial = await trials.RunAsync(op, context, op.MaxTokens(context, 100_000), new EvolveScope(task.Evolve), edit, target.Path, task, fitness,
                (hash, _) => Task.FromResult(known.Contains(hash)), true, CancellationToken.None);
            known.Add(trial.ProgramHash);
            if (trial.Improves) fitness = trial.Verdict!.Score;
            else edit.Restore();
            genome = trial.Learned(genome);
        }

        var tune = genome.WeightOf(Genome.TuneConstants);
        Assert.True(fitness > 1.0);
        Assert.True(tune > 1.0, $"tune-constants weight {tune}");
        foreach (var other in Genome.Vocabulary.Where(s => s != Genome.TuneConstants && s is not (Genome.Crossover or Genome.ApplyPattern)))
            Assert.True(genome.WeightOf(other) < tune, $"{other} {genome.WeightOf(other)} vs tune-constants {tune}");
        Assert.True(BuiltinOperator.Weights(genome).Single(w => w.Strategy == Genome.TuneConstants).Weight
                    > BuiltinOperator.Weights(Genome.Default).Single(w => w.Strategy == Genome.TuneConstants).Weight);
    }

    private sealed class FixedProposal(IReadOnlyDictionary<string, string> changes) : IMutationOperator
    {
        public string Name => "fixed";
        public string? Unavailable => null;
        public int MaxTokens(ProposalContext context, int remainingBudget) => 10;

        public Task<Proposal> ProposeAsync(ProposalContext context, int reservedTokens, CancellationToken cancellationToken) =>
            Task.FromResult(new Proposal(changes, "fixed", "a fixed edit", 5));
    }
}
