using Dean.Contracts.Economy;
using Dean.Economy.Accounts;
using Dean.Economy.Constraints;
using Dean.Economy.Governance;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Dean.Tests.Economy;

/// <summary>The pure rules of DESIGN 8, checked over generated inputs and on the worked examples.</summary>
public sealed class PolicyProperties
{
    private static readonly Priority[] All = [Priority.Low, Priority.Normal, Priority.High, Priority.Critical];

    [Property(MaxTest = 2000)]
    public bool Allocation_never_grants_more_than_asked_or_than_the_source_has(PositiveInt requested, NonNegativeInt free, NonNegativeInt reserve, int p)
    {
        var priority = All[Math.Abs(p % 4)];
        var d = AllocationPolicy.Decide(requested.Get, priority, free.Get, reserve.Get);
        return d.IsGranted
            ? d.Granted > 0 && d.Granted <= requested.Get && d.Granted <= free.Get
              && free.Get - d.Granted >= AllocationPolicy.HeldBack(priority, reserve.Get) // never dips below what the priority must leave
              && (d.Granted == requested.Get || d.Granted * 10 >= requested.Get)
              && (priority != Priority.Low || d.Granted == requested.Get)
            : d.Granted == 0;
    }

    [Property(MaxTest = 2000)]
    public bool Higher_priority_never_gets_less(PositiveInt requested, NonNegativeInt free, NonNegativeInt reserve)
    {
        var grants = All.Select(p => AllocationPolicy.Decide(requested.Get, p, free.Get, reserve.Get).Granted).ToList();
        return grants.Zip(grants.Skip(1)).All(pair => pair.First <= pair.Second);
    }

    [Fact]
    public void Allocation_examples_from_the_design()
    {
        // budget 1,000,000, reserve 100,000, 880,000 allocated: 20,000 available, 120,000 free
        const long free = 120_000, reserve = 100_000;
        Assert.Equal(10_000, AllocationPolicy.Decide(10_000, Priority.Low, free, reserve).Granted);
        Assert.Equal(AllocationPolicy.LowPriority, AllocationPolicy.Decide(20_001, Priority.Low, free, reserve).RefusalReason);
        Assert.Equal(20_000, AllocationPolicy.Decide(200_000, Priority.Normal, free, reserve).Granted);
        Assert.Equal(AllocationPolicy.BelowMinimumGrant, AllocationPolicy.Decide(200_001, Priority.Normal, free, reserve).RefusalReason);
        Assert.Equal(70_000, AllocationPolicy.Decide(500_000, Priority.High, free, reserve).Granted);
        Assert.Equal(120_000, AllocationPolicy.Decide(500_000, Priority.Critical, free, reserve).Granted);
        Assert.Equal(AllocationPolicy.BelowMinimumGrant, AllocationPolicy.Decide(1_200_001, Priority.Critical, free, reserve).RefusalReason);
        Assert.Equal(100_000, AllocationPolicy.ReserveOf(1_000_000, 0.10m));
    }

    [Theory]
    [InlineData("low", Priority.Low)]
    [InlineData("normal", Priority.Normal)]
    [InlineData("HIGH", Priority.High)]
    [InlineData("critical", Priority.Critical)]
    public void Priorities_parse(string text, Priority expected)
    {
        Assert.True(AllocationPolicy.TryParse(text, out var p));
        Assert.Equal(expected, p);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("urgent")]
    [InlineData("2")]
    [InlineData("-1")]
    public void Unknown_priorities_do_not_parse(string? text) => Assert.False(AllocationPolicy.TryParse(text, out _));

    [Fact]
    public void Automatic_allocation_scales_with_efficiency_and_is_capped()
    {
        Assert.Equal(5_000, AllocationPolicy.Automatic(10_000, 0, 50_000));
        Assert.Equal(15_000, AllocationPolicy.Automatic(10_000, 1.0, 50_000));
        Assert.Equal(20_000, AllocationPolicy.Automatic(10_000, 7.0, 50_000));
        Assert.Equal(12_000, AllocationPolicy.Automatic(10_000, 7.0, 12_000));
        Assert.Equal(5_000, AllocationPolicy.Automatic(10_000, double.NaN, 50_000));
    }

    [Property(MaxTest = 1000)]
    public bool Decay_takes_back_at_most_the_unused_part_and_never_the_same_hour_twice(NonNegativeInt unused, NonNegativeInt minutes, NonNegativeInt applied)
    {
        var idle = TimeSpan.FromMinutes(minutes.Get % (24 * 60 * 30));
        var (amount, hours) = DecayPolicy.Compute(unused.Get, idle, applied.Get % 1000);
        if (amount < 0 || amount > unused.Get) return false;
        if (idle < TimeSpan.FromHours(1) && amount != 0) return false;
        var (again, _) = DecayPolicy.Compute(unused.Get - amount, idle, hours);
        return again == 0 && hours >= applied.Get % 1000;
    }

    [Fact]
    public void Decay_examples()
    {
        Assert.Equal((0L, 0), DecayPolicy.Compute(10_000, TimeSpan.FromMinutes(59), 0));
        Assert.Equal((500L, 1), DecayPolicy.Compute(10_000, TimeSpan.FromMinutes(61), 0));
        Assert.Equal((975L, 2), DecayPolicy.Compute(10_000, TimeSpan.FromHours(2.5), 0));
        Assert.Equal((475L, 2), DecayPolicy.Compute(9_500, TimeSpan.FromHours(2.5), 1));
    }

    private static readonly Arbitrary<List<RebalanceCandidate>> Groups = Gen.Choose(0, 30).SelectMany(n =>
        Gen.Choose(0, 20).Two().Select(t => (Eff: t.Item1 / 4.0, Unused: (long)t.Item2 * 137)).ListOf(n)
            .Select(xs => xs.Select((x, i) => new RebalanceCandidate($"a{i:00}", x.Eff, x.Unused)).ToList())).ToArbitrary();

    [Fact]
    public void Rebalance_conserves_tokens_and_only_moves_down_the_efficiency_order() =>
        Prop.ForAll(Groups, group =>
        {
            var plan = RebalancePolicy.Plan(group);
            var byId = group.ToDictionary(c => c.AccountId);
            var k = RebalancePolicy.FifthOf(group.Count);
            var given = plan.GroupBy(t => t.From).ToDictionary(g => g.Key, g => g.Sum(t => t.Amount));
            return plan.All(t => t.Amount > 0 && byId[t.From].Efficiency < byId[t.To].Efficiency)
                && given.All(g => g.Value == byId[g.Key].Unused / 5)
                && plan.Select(t => t.From).Distinct().Count() <= k
                && plan.Select(t => t.To).Distinct().Count() <= k
                && !plan.Any(t => plan.Any(u => u.From == t.To));
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Rebalance_example()
    {
        var group = Enumerable.Range(0, 10).Select(i => new RebalanceCandidate($"a{i}", i, 1_000)).ToList();
        var plan = RebalancePolicy.Plan(group);
        // bottom two (a0, a1) each give 200, split between the top two (a9 first, a8)
        Assert.Equal([new Transfer("a0", "a9", 100), new Transfer("a0", "a8", 100), new Transfer("a1", "a9", 100), new Transfer("a1", "a8", 100)], plan);
        Assert.Empty(RebalancePolicy.Plan([new RebalanceCandidate("x", 1, 100)]));
        Assert.Empty(RebalancePolicy.Plan([new RebalanceCandidate("x", 1, 100), new RebalanceCandidate("y", 1, 100)]));
    }

    [Fact]
    public void Validation_reports_every_violation()
    {
        var c = EvolutionConstraints.Defaults;
        var ok = ConstraintValidator.Validate(c, new CycleProposal(10, 20, 200_000, 0.1, 0.5), 1_000_000);
        Assert.True(ok.Valid);
        Assert.Equal(200_000, ok.EstimatedTokens);

        var bad = ConstraintValidator.Validate(c, new CycleProposal(2, 101, 2_000_000, 0.01, 0.2), 1_000_000);
        Assert.False(bad.Valid);
        Assert.Equal(["population_size_range", "max_generations", "mutation_rate_range", "min_diversity", "max_tokens_per_agent", "global_budget"],
            bad.Violations.Select(v => v.Constraint));
        Assert.Equal(100_000, bad.EstimatedTokens); // 2 agents × max_tokens_per_agent 50,000
        Assert.Equal(2, bad.Violations[0].Value);
        Assert.Equal(3, bad.Violations[0].Limit);
    }

    [Fact]
    public void Constraint_documents_are_checked()
    {
        Assert.Empty(ConstraintValidator.Check(EvolutionConstraints.Defaults));
        var broken = EvolutionConstraints.Defaults with { MinDiversity = 1.5, MaxGenerations = 0, MutationRateRange = [0.3, 0.1], PopulationSizeRange = [5] };
        Assert.Equal(["min_diversity", "max_generations", "mutation_rate_range", "population_size_range"], ConstraintValidator.Check(broken).Keys);
    }
}
