using Dean.IndexAgent.Agents;
namespace Dean.IndexAgent.Evolution;

/// <summary>A catalogued pattern that can be given to agents, with the agent that discovered it.</summary>
public sealed record PatternOffer(string PatternId, string DiscoveredBy);

public static class InterventionKinds
{
    /// <summary>The less fit agent of a pair closer than 0.2 was mutated (strength 0.1).</summary>
    public const string ClosePairMutation = "close_pair_mutation";

    /// <summary>A randomly chosen agent was mutated (strength 0.15), below half the threshold.</summary>
    public const string RandomMutation = "random_mutation";

    /// <summary>An agent was given a pattern discovered outside its lineage, below half the threshold.</summary>
    public const string PatternInjection = "pattern_injection";

    /// <summary>An explicit <c>inject-mutation</c> request mutated the agent.</summary>
    public const string InjectedMutation = "injected_mutation";
}

/// <summary>One recorded intervention: which agent, why, and its genome before and after.</summary>
public sealed record DiversityIntervention(
    string Kind,
    string AgentId,
    double Strength,
    string Reason,
    Genome Before,
    Genome After,
    string? RelatedAgentId = null,
    string? PatternId = null);

/// <summary>The outcome of a defence or injection: diversity before and after, the interventions and the final genomes that changed.</summary>
public sealed record DefenceResult(
    DiversityReport Before,
    DiversityReport After,
    IReadOnlyList<DiversityIntervention> Interventions,
    IReadOnlyDictionary<string, Genome> GenomeUpdates);

/// <summary>
/// The diversity defence of DESIGN section 6. Below the threshold: for every pair closer than 0.2, mutate the less
/// fit one (strength 0.1). Below half the threshold: also mutate 20% of the population at random (strength 0.15;
/// the elite are left alone) and give two agents patterns from outside their lineage. Code distances are computed
/// once: interventions change genomes, not code, so "after" reuses them.
/// </summary>
public sealed class DiversityDefence(GeneticOperators operators)
{
    public const double ClosePairDistance = 0.2;
    public const double ClosePairStrength = 0.1;
    public const double RandomMutationStrength = 0.15;
    public const double RandomMutationFraction = 0.2;
    public const int PatternRecipients = 2;

    public DiversityDefence() : this(new GeneticOperators())
    {
    }

    /// <summary>Measure the population and intervene when it is below <paramref name="threshold"/>.</summary>
    public DefenceResult Defend(
        IReadOnlyList<DiversityMember> population,
        double threshold,
        IReadOnlyList<PatternOffer> patterns,
        Random random)
    {
        var codeDistances = Diversity.CodeDistances(population);
        var genomes = population.Select(m => m.Genome).ToArray();
        var before = Diversity.Measure(genomes, codeDistances, threshold);
        var interventions = new List<DiversityIntervention>();
        if (before.Diversity >= threshold || population.Count < 2)
            return new DefenceResult(before, before, interventions, new Dictionary<string, Genome>());

        // Close pairs are judged on the distances before any intervention, and each agent is mutated at most once for them.
        var lessFit = new SortedDictionary<int, int>();
        for (var i = 0; i < population.Count; i++)
        for (var j = i + 1; j < population.Count; j++)
        {
            var distance = Diversity.Components(genomes[i], genomes[j], codeDistances[i, j]).Total;
            if (distance >= ClosePairDistance) continue;
            // Ties in fitness mutate the later-created agent.
            var (weaker, stronger) = population[i].Fitness < population[j].Fitness ? (i, j) : (j, i);
            lessFit.TryAdd(weaker, stronger);
        }
        foreach (var (weaker, stronger) in lessFit)
        {
            var after = operators.Mutate(genomes[weaker], ClosePairStrength, random);
            interventions.Add(new DiversityIntervention(InterventionKinds.ClosePairMutation, population[weaker].Id, ClosePairStrength,
                $"closer than {ClosePairDistance} to the fitter {population[stronger].Id}", genomes[weaker], after, population[stronger].Id));
            genomes[weaker] = after;
        }

        if (before.Diversity < threshold / 2)
        {
            var elite = GeneticOperators.EliteIndices(population.Select(m => m.Fitness).ToArray()).ToHashSet();
            var eligible = Enumerable.Range(0, population.Count).Where(i => !elite.Contains(i)).ToArray();
            var count = (int)Math.Ceiling(population.Count * RandomMutationFraction - 1e-9);
            foreach (var i in random.Draw(eligible, count).Order())
            {
                var after = operators.Mutate(genomes[i], RandomMutationStrength, random);
                interventions.Add(new DiversityIntervention(InterventionKinds.RandomMutation, population[i].Id, RandomMutationStrength,
                    $"diversity {before.Diversity:F3} below half the threshold {threshold}", genomes[i], after));
                genomes[i] = after;
            }

            var recipients = Enumerable.Range(0, population.Count)
                .Where(i => OutsideLineage(population[i], genomes[i], patterns).Count > 0)
                .ToArray();
            foreach (var i in random.Draw(recipients, PatternRecipients).Order())
            {
                var pattern = random.Pick(OutsideLineage(population[i], genomes[i], patterns));
                var after = genomes[i].AdoptPattern(pattern.PatternId);
                interventions.Add(new DiversityIntervention(InterventionKinds.PatternInjection, population[i].Id, 0.0,
                    $"pattern discovered by {pattern.DiscoveredBy}, outside the agent's lineage", genomes[i], after, pattern.DiscoveredBy, pattern.PatternId));
                genomes[i] = after;
            }
        }

        return Result(population, genomes, codeDistances, threshold, before, interventions);
    }

    /// <summary>Mutate every agent of the population with the given strength (<c>POST diversity/inject-mutation</c>).</summary>
    public DefenceResult InjectMutation(IReadOnlyList<DiversityMember> population, double strength, double threshold, Random random)
    {
        if (strength is < 0.0 or > 1.0 || double.IsNaN(strength))
            throw new ArgumentOutOfRangeException(nameof(strength), strength, "A mutation strength is in [0,1].");
        var codeDistances = Diversity.CodeDistances(population);
        var genomes = population.Select(m => m.Genome).ToArray();
        var before = Diversity.Measure(genomes, codeDistances, threshold);
        var interventions = new List<DiversityIntervention>();
        for (var i = 0; i < population.Count; i++)
        {
            var after = operators.Mutate(genomes[i], strength, random);
            interventions.Add(new DiversityIntervention(InterventionKinds.InjectedMutation, population[i].Id, strength,
                "requested mutation injection", genomes[i], after));
            genomes[i] = after;
        }
        return Result(population, genomes, codeDistances, threshold, before, interventions);
    }

    private static DefenceResult Result(
        IReadOnlyList<DiversityMember> population,
        Genome[] genomes,
        double[,] codeDistances,
        double threshold,
        DiversityReport before,
        List<DiversityIntervention> interventions)
    {
        var updates = new Dictionary<string, Genome>(StringComparer.Ordinal);
        for (var i = 0; i < population.Count; i++)
        {
            if (!genomes[i].SameAs(population[i].Genome))
                updates[population[i].Id] = genomes[i];
        }
        return new DefenceResult(before, Diversity.Measure(genomes, codeDistances, threshold), interventions, updates);
    }

    /// <summary>Patterns not discovered by the agent or its ancestors and not already adopted.</summary>
    private static IReadOnlyList<PatternOffer> OutsideLineage(DiversityMember member, Genome genome, IReadOnlyList<PatternOffer> patterns)
    {
        var lineage = member.LineageOrSelf.ToHashSet(StringComparer.Ordinal);
        return patterns
            .Where(p => !lineage.Contains(p.DiscoveredBy) && !genome.HasStrategy(GenomeOperations.PatternStrategy(p.PatternId)))
            .ToArray();
    }
}
