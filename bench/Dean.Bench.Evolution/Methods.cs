using Dean.Contracts.Evolution;
using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evolution;
using Dean.IndexAgent.Operators;
using Dean.IndexAgent.Patterns;

namespace Dean.Bench.Evolution;

/// <summary>The three searches compared at equal evaluation counts, all with the product's operator and step core.</summary>
public static class Methods
{
    public const string Random = "random";
    public const string HillClimb = "hill-climb";
    public const string Population = "population";
    public static readonly string[] All = [Random, HillClimb, Population];

    // A run makes at most this many steps per evaluation it may spend, so a target on which nearly nothing passes the
    // gate still ends.
    private const int StepsPerEvaluation = 5;

    private static int Seed(string method, int runSeed, LabAgent agent) => EvolutionStep.StableSeed($"{method}:{runSeed}:{agent.Id}", agent.Steps);

    /// <summary>Random search: every candidate is one edit of the starting program; nothing is kept or learned.</summary>
    public static async Task RandomSearchAsync(Run run, int runSeed, double start)
    {
        var agent = new LabAgent("agent_001", run.Target.CopyTo(Path.Combine(run.Root, "agent_001")), start, Genome.Default, ["agent_001"]);
        for (var steps = 0; !run.Done && steps < StepsPerEvaluation * run.Budget; steps++)
            await run.StepAsync(agent, Seed(Random, runSeed, agent), null, [], select: false);
    }

    /// <summary>(1+1) hill climb: one agent, its step accepts a candidate when it scores higher (and learns as the step does).</summary>
    public static async Task HillClimbAsync(Run run, int runSeed, double start)
    {
        var agent = new LabAgent("agent_001", run.Target.CopyTo(Path.Combine(run.Root, "agent_001")), start, Genome.Default, ["agent_001"]);
        for (var steps = 0; !run.Done && steps < StepsPerEvaluation * run.Budget; steps++)
            await run.StepAsync(agent, Seed(HillClimb, runSeed, agent), null, [], select: true);
    }

    /// <summary>
    /// A cycle: <paramref name="size"/> agents with the default genome (as a cycle spawns them), one step each per
    /// generation (the crossover source chosen as the IndexAgent chooses it), then the population step: the CA rules
    /// and genetic operators of <see cref="PopulationRuleEngine"/> within the cycle's bounds, the answers to stagnation,
    /// pattern discovery (rule 90) into a <see cref="PatternCatalog"/>, and the <see cref="DiversityDefence"/>.
    /// </summary>
    public static async Task PopulationAsync(Run run, int runSeed, double start, int size, PopulationLimits limits)
    {
        var operators = new GeneticOperators();
        var engine = new PopulationRuleEngine(operators, limits);
        var defence = new DiversityDefence(operators);
        var catalog = new PatternCatalog();
        var next = 0;
        LabAgent NewAgent(string fromDirectory, double? fitness, Genome genome, LabAgent? parent)
        {
            var id = $"agent_{++next:D3}";
            var directory = Path.Combine(run.Root, id);
            Target.CopyDirectory(fromDirectory, directory);
            return new LabAgent(id, directory, fitness, genome, [id, .. parent?.Lineage ?? []]) { History = [.. parent?.History ?? []] };
        }
        var population = Enumerable.Range(0, size).Select(_ => NewAgent(run.Target.Directory, start, Genome.Default, null)).ToList();

        var steps = 0;
        for (var generation = 1; !run.Done && steps < StepsPerEvaluation * run.Budget; generation++)
        {
            foreach (var agent in population.ToList())
            {
                if (run.Done) break;
                agent.Accepted = null;
                LabAgent? source = null;
                var seed = Seed(Population, runSeed, agent);
                if (agent.Genome.HasStrategy(Genome.Crossover))
                {
                    var mine = Program(run, agent);
                    var others = population.Where(a => a != agent && Program(run, a) != mine).ToList();
                    source = CandidateTrial.CrossoverPartner(others, a => a.Fitness, seed);
                }
                await run.StepAsync(agent, seed, source, BestPatterns(catalog, agent), select: true);
                steps++;
            }

            var random = new System.Random(EvolutionStep.StableSeed($"cycle:{runSeed}:{generation}", 0));
            var ring = population.Select(a => new RingAgent(a.Id, a.Accepted is not null, a.Fitness ?? double.NegativeInfinity, a.TokenEfficiency, a.Genome,
                a.Accepted is null ? null : a.Id, a.StepsSinceAccept)).ToList();
            var plan = engine.Plan(ring, CaRules.Supported, random);
            var byId = population.ToDictionary(a => a.Id);

            foreach (var abstraction in plan.Abstractions)
            {
                var (before, after, kind) = byId[abstraction.AgentId].Accepted!.Value;
                foreach (var path in after.Keys.Where(p => before[p] != after[p]))
                {
                    var diff = DiffNormalizer.Normalize(before[path], after[path]);
                    if (diff.IsEmpty) continue;
                    var type = PatternClassifier.Classify(new PatternEvidence(diff, kind == "crossover"));
                    catalog.Observe(new PatternDiscovery(diff, type, abstraction.AgentId, generation, 0.0, DateTimeOffset.UnixEpoch.AddDays(generation)));
                }
            }
            foreach (var (id, genome) in plan.GenomeUpdates) byId[id].Genome = genome;
            foreach (var gone in plan.Retirements.Select(r => r.AgentId).Concat(plan.Evictions.Select(e => e.AgentId)))
                population.Remove(byId[gone]);
            foreach (var spawn in plan.Spawns)
            {
                var parent = byId[spawn.ParentId];
                population.Add(NewAgent(parent.Directory, parent.Fitness, spawn.ChildGenome, parent));
            }
            foreach (var fork in plan.Forks)
            {
                var parent = byId[fork.AgentId];
                population.Add(NewAgent(parent.Directory, parent.Fitness, fork.ForkGenome, parent));
            }
            foreach (var answer in plan.Stagnation)
            {
                var agent = byId[answer.AgentId];
                if (answer.Kind == StagnationAnswer.Restart && answer.PartnerId is { } bestId)
                {
                    Target.CopyDirectory(byId[bestId].Directory, agent.Directory);
                    agent.Fitness = byId[bestId].Fitness;
                    agent.History = [.. byId[bestId].History];
                }
                agent.Genome = answer.Genome;
                agent.StepsSinceAccept = 0;
            }

            var members = population.Select(a => new DiversityMember(a.Id, a.Genome, a.Fitness ?? double.NegativeInfinity,
                a.Files(run.Target).ToDictionary(f => f.Path, f => f.Content), a.Lineage)).ToList();
            var offers = catalog.Patterns.Where(p => !p.Archived).Select(p => new PatternOffer(p.Id, p.DiscoveredBy)).ToList();
            var defended = defence.Defend(members, Diversity.DefaultThreshold, offers, random);
            foreach (var (id, genome) in defended.GenomeUpdates) population.First(a => a.Id == id).Genome = genome;
        }
    }

    private static string Program(Run run, LabAgent agent) => string.Concat(agent.Files(run.Target).Select(f => f.Content));

    /// <summary>The catalogue's patterns an agent is offered, chosen by the IndexAgent's own rule.</summary>
    private static IReadOnlyList<PatternEdit> BestPatterns(PatternCatalog catalog, LabAgent agent) =>
        CataloguePatternSource.Choose(agent.Genome, agent.Id,
            CataloguePatternSource.AdoptedIds(agent.Genome).Select(catalog.Find).OfType<CataloguedPattern>(),
            CataloguePatternSource.Rank(catalog.Patterns));
}
