using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evolution;
using Dean.IndexAgent.Patterns;

namespace Dean.Bench.Evolution;

/// <summary>Best score after each evaluation (index 0 = after the first candidate).</summary>
public sealed record SearchTrace(IReadOnlyList<double> BestAfter)
{
    public double FinalBest => BestAfter[^1];

    /// <summary>Evaluations needed to reach <paramref name="target"/>, or null if never reached.</summary>
    public int? EvaluationsToReach(double target)
    {
        for (var i = 0; i < BestAfter.Count; i++)
            if (BestAfter[i] >= target) return i + 1;
        return null;
    }
}

public static class RandomSearch
{
    /// <summary>Both searches re-draw a candidate identical to one already evaluated in the run (the same rule for both).</summary>
    public static bool SkipKnown { get; set; }

    /// <summary>The baseline of issue 5: every candidate is one edit of the starting program, no selection.</summary>
    public static SearchTrace Run(int evaluations, int seed)
    {
        var seen = new HashSet<string>();
        var random = new Random(seed);
        var start = SearchProgram.Score(SearchProgram.Start) ?? throw new InvalidOperationException("The starting program must score.");
        var best = start;
        var trace = new List<double>(evaluations);
        for (var e = 0; e < evaluations; e++)
        {
            var (candidate, _) = EditOperator.WithoutPatterns.Propose(SearchProgram.Start, Genome.Default, null, random);
            // With SkipKnown, a candidate already evaluated in this run is re-drawn (a few times) instead of evaluated again.
            for (var retry = 0; SkipKnown && seen.Contains(candidate) && retry < 20; retry++)
                (candidate, _) = EditOperator.WithoutPatterns.Propose(SearchProgram.Start, Genome.Default, null, random);
            seen.Add(candidate);
            if (SearchProgram.Score(candidate) is { } score && score > best) best = score;
            trace.Add(best);
        }
        return new SearchTrace(trace);
    }
}

/// <summary>
/// DESIGN sections 4–7 in memory: each agent makes one candidate per generation and keeps it if it scores higher;
/// after every generation the CA rules (110, 30, 90, 184, 1) reshape the population, accepted changes become
/// patterns, and the diversity defence runs. Evaluations are counted exactly like random search's.
/// </summary>
public static class PopulationEvolution
{
    private sealed class Agent(string id, string program, double fitness, Genome genome, IReadOnlyCollection<string> lineage)
    {
        public string Id { get; } = id;
        public string Program { get; set; } = program;
        public double Fitness { get; set; } = fitness;
        public Genome Genome { get; set; } = genome;
        public double TokenEfficiency { get; set; }
        public IReadOnlyCollection<string> Lineage { get; } = lineage;
        public (string Before, string After)? AcceptedChange { get; set; }
        public bool FromCrossover { get; set; }
    }

    /// <summary>Per edit kind over all runs: candidates proposed, accepted, and identical to a program already evaluated in that run.</summary>
    public static Dictionary<string, (int Proposed, int Accepted, int Duplicate)> Kinds { get; } = new();

    public static SearchTrace Run(int evaluations, int seed, int populationSize = 8)
    {
        var seen = new HashSet<string>();
        var random = new Random(seed);
        var operators = new GeneticOperators();
        var engine = new PopulationRuleEngine(operators, new PopulationLimits(MinPopulation: 4, MaxPopulation: 2 * populationSize));
        var defence = new DiversityDefence(operators);
        var catalog = new PatternCatalog();
        var templates = new Dictionary<string, PatternTemplate>();
        var editOperator = new EditOperator(templates);
        var start = SearchProgram.Score(SearchProgram.Start) ?? throw new InvalidOperationException("The starting program must score.");

        var nextId = 0;
        string NewId() => $"agent_{++nextId:D3}";
        var population = Enumerable.Range(0, populationSize).Select(_ =>
        {
            var id = NewId();
            return new Agent(id, SearchProgram.Start, start, operators.RandomGenome(random), [id]);
        }).ToList();

        var best = start;
        var trace = new List<double>(evaluations);
        for (var generation = 1; trace.Count < evaluations; generation++)
        {
            // One evolution step per agent (DESIGN section 4).
            foreach (var agent in population)
            {
                agent.AcceptedChange = null;
                if (trace.Count >= evaluations) break;
                var neighbour = population[(population.IndexOf(agent) + 1) % population.Count];
                var (candidate, kind) = editOperator.Propose(agent.Program, agent.Genome, neighbour.Program, random);
                for (var retry = 0; RandomSearch.SkipKnown && seen.Contains(candidate) && retry < 20; retry++)
                    (candidate, kind) = editOperator.Propose(agent.Program, agent.Genome, neighbour.Program, random);
                var score = SearchProgram.Score(candidate);
                var k = Kinds.GetValueOrDefault(kind);
                Kinds[kind] = (k.Proposed + 1, k.Accepted + (score > agent.Fitness ? 1 : 0), k.Duplicate + (seen.Add(candidate) ? 0 : 1));
                var gain = score is { } s && s > agent.Fitness ? s - agent.Fitness : 0.0;
                agent.TokenEfficiency = 0.3 * gain + 0.7 * agent.TokenEfficiency;
                if (gain > 0)
                {
                    agent.AcceptedChange = (agent.Program, candidate);
                    agent.FromCrossover = kind == Genome.Crossover;
                    agent.Program = candidate;
                    agent.Fitness = score!.Value;
                }
                best = Math.Max(best, agent.Fitness);
                trace.Add(best);
            }

            // The population step (DESIGN section 5).
            var ring = population.Select(a => new RingAgent(a.Id, a.AcceptedChange is not null, a.Fitness, a.TokenEfficiency, a.Genome)).ToArray();
            var plan = engine.Plan(ring, PopulationRuleEngine.SupportedRules, random);
            var byId = population.ToDictionary(a => a.Id);

            foreach (var abstraction in plan.Abstractions)
            {
                var agent = byId[abstraction.AgentId];
                var (before, after) = agent.AcceptedChange!.Value;
                var diff = DiffNormalizer.Normalize(before, after);
                if (diff.IsEmpty) continue;
                var type = PatternClassifier.Classify(new PatternEvidence(diff, agent.FromCrossover));
                var observation = catalog.Observe(new PatternDiscovery(diff, type, agent.Id, generation, 0.0, DateTimeOffset.UnixEpoch.AddDays(generation)));
                templates.TryAdd(observation.Pattern.Id, PatternTemplate.FromJson(observation.Pattern.Template));
            }
            foreach (var (id, genome) in plan.GenomeUpdates)
                byId[id].Genome = genome;
            foreach (var retirement in plan.Retirements)
                population.Remove(byId[retirement.AgentId]);
            foreach (var spawn in plan.Spawns)
            {
                var parent = byId[spawn.ParentId];
                var id = NewId();
                population.Add(new Agent(id, parent.Program, parent.Fitness, spawn.ChildGenome, [id, .. parent.Lineage]));
            }
            foreach (var fork in plan.Forks)
            {
                var parent = byId[fork.AgentId];
                var id = NewId();
                population.Add(new Agent(id, parent.Program, parent.Fitness, fork.ForkGenome, [id, .. parent.Lineage]));
            }

            // Diversity defence (DESIGN section 6).
            var members = population.Select(a => new DiversityMember(a.Id, a.Genome, a.Fitness,
                new Dictionary<string, string> { ["program"] = a.Program }, a.Lineage)).ToArray();
            var offers = catalog.Patterns.Where(p => !p.Archived).Select(p => new PatternOffer(p.Id, p.DiscoveredBy)).ToArray();
            var result = defence.Defend(members, Diversity.DefaultThreshold, offers, random);
            foreach (var (id, genome) in result.GenomeUpdates)
                population.First(a => a.Id == id).Genome = genome;
        }
        return new SearchTrace(trace);
    }
}
