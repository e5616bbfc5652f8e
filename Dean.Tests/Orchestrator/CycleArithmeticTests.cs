using Dean.Contracts.Orchestrator;
using Dean.Orchestrator.Evolution;
using Dean.Orchestrator.Scheduling;

namespace Dean.Tests.Orchestrator;

public sealed class CycleArithmeticTests
{
    [Theory]
    [InlineData(30_000, 3, 5, 0.0, 10_000, 50_000, 1_000)]     // base 2000 × 0.5
    [InlineData(30_000, 3, 5, 0.5, 10_000, 50_000, 2_000)]     // base × 1.0
    [InlineData(30_000, 3, 5, 5.0, 10_000, 50_000, 4_000)]     // weight capped at 2.0
    [InlineData(3_000_000, 3, 5, 1.5, 10_000, 50_000, 10_000)] // within token_limit_per_generation
    [InlineData(3_000_000, 3, 5, 1.5, 100_000, 50_000, 50_000)] // within max_tokens_per_agent
    public void Generation_allocation_weights_by_efficiency_within_the_limits(long budget, int population, int generations, double efficiency,
        long perGeneration, long perAgent, long expected) =>
        Assert.Equal(expected, CycleArithmetic.GenerationAllocation(budget, population, generations, efficiency, perGeneration, perAgent));

    [Fact]
    public void Top_up_never_takes_tokens_away()
    {
        Assert.Equal(700, CycleArithmetic.TopUp(1_000, 300));
        Assert.Equal(0, CycleArithmetic.TopUp(1_000, 1_500));
    }

    [Fact]
    public void Summary_ignores_agents_without_fitness()
    {
        var (best, mean, agent) = CycleArithmetic.Summarise([("a", 0.5), ("b", null), ("c", 0.9)]);
        Assert.Equal(0.9, best);
        Assert.Equal(0.7, mean!.Value, 10);
        Assert.Equal("c", agent);
        Assert.Equal((null, null, null), CycleArithmetic.Summarise([("a", null)]));
    }

    [Fact]
    public void Step_seeds_are_stable_and_distinct()
    {
        Assert.Equal(CycleArithmetic.StepSeed("cycle_001", 2, "agent_001"), CycleArithmetic.StepSeed("cycle_001", 2, "agent_001"));
        Assert.NotEqual(CycleArithmetic.StepSeed("cycle_001", 2, "agent_001"), CycleArithmetic.StepSeed("cycle_001", 3, "agent_001"));
        Assert.True(CycleArithmetic.StepSeed("cycle_001", 2, "agent_001") >= 0);
    }

    [Fact]
    public void Start_validation_names_every_bad_field()
    {
        var errors = CycleLauncher.Validate(new StartCycleRequest([], 3, "", 0, -5, [110, 7], 1.5));
        Assert.Equal(new[] { "ca_rules", "diversity_threshold", "generations", "population", "population_ids", "target", "token_budget" },
            errors.Keys.Order().ToArray());
    }

    [Fact]
    public void Start_validation_accepts_a_well_formed_request()
    {
        Assert.Empty(CycleLauncher.Validate(new StartCycleRequest(["agent_001"], null, null, 5, 1000, [110, 30], 0.3)));
        Assert.Empty(CycleLauncher.Validate(new StartCycleRequest(null, 4, "function-minimization", 5, 1000, null, null)));
        Assert.Contains("population_ids", CycleLauncher.Validate(new StartCycleRequest(["a", "a"], null, null, 5, 1000, null, null)).Keys);
    }

    [Fact]
    public void Population_plan_spawns_to_the_minimum_and_retires_at_most_30_percent_of_free_agents()
    {
        Assert.Equal(2, PopulationPlan.For([("a", 1.0)], new HashSet<string>(), 3, 50).Spawn);
        var crowd = Enumerable.Range(1, 10).Select(i => ($"agent_{i:000}", (double?)i)).ToList();
        var plan = PopulationPlan.For(crowd, new HashSet<string> { "agent_001" }, 3, 5);
        Assert.Equal(0, plan.Spawn);
        Assert.Equal(["agent_002", "agent_003", "agent_004"], plan.Retire); // 30% of 10, the least fit free ones
        Assert.Empty(PopulationPlan.For(crowd, new HashSet<string>(), 3, 50).Retire);
    }

    [Theory]
    [InlineData("Succeeded", true, "success")]
    [InlineData("Failed", true, "failed")] // out of retries
    [InlineData("Processing", true, "running")]
    [InlineData("Enqueued", false, "queued")]
    [InlineData("Scheduled", false, "queued")]
    [InlineData("Scheduled", true, "running")] // a failed attempt awaiting its retry
    [InlineData("Enqueued", true, "running")] // the retry is queued: the Airflow run goes on
    public void Hangfire_states_map_to_airflow_states(string hangfire, bool attempted, string airflow) =>
        Assert.Equal(airflow, DagRunsApi.AirflowState(hangfire, attempted));
}
