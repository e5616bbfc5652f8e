using Dean.Contracts.Orchestrator;
using Dean.Orchestrator.OperatorConsole;

namespace Dean.Tests.OperatorConsole;

public sealed class CycleSeriesTests
{
    private static double?[] Values(ChartSeries series) => series.Points.Select(p => p.Value).ToArray();

    [Fact]
    public void Best_so_far_keeps_the_highest_score_through_unscored_and_worse_generations()
    {
        var series = CycleSeries.BestSoFar(ConsoleData.Generations);
        Assert.Equal([1, 2, 3, 4], series.Points.Select(p => p.Generation));
        Assert.Equal([0.5, 0.5, 0.5, 0.9], Values(series));
    }

    [Fact]
    public void Best_so_far_is_empty_until_a_generation_is_scored()
    {
        var series = CycleSeries.BestSoFar([ConsoleData.Generation(1, null, null, 0.5, 10), ConsoleData.Generation(2, 0.7, 0.7, 0.5, 10)]);
        Assert.Equal([null, 0.7], Values(series));
    }

    [Fact]
    public void Best_so_far_follows_generation_order_whatever_order_the_rows_come_in()
    {
        var series = CycleSeries.BestSoFar([.. ConsoleData.Generations.Reverse()]);
        Assert.Equal([0.5, 0.5, 0.5, 0.9], Values(series));
    }

    [Fact]
    public void Rule_firings_have_a_line_per_rule_of_the_cycle_and_per_rule_that_fired_with_zero_where_it_did_not()
    {
        GenerationResponse Fired(int generation, Dictionary<string, int> fired) =>
            ConsoleData.Generation(generation, 0.5, 0.5, 0.5, 10) with { CaRulesFired = fired };
        var series = CycleSeries.RuleFirings([Fired(2, new() { ["1"] = 4 }), Fired(1, new() { ["110"] = 2, ["30"] = 1 })], [110, 30]);

        Assert.Equal(["rule-1", "rule-30", "rule-110"], series.Select(s => s.Key));
        Assert.Equal([1, 2], series[0].Points.Select(p => p.Generation));
        Assert.Equal([0.0, 4], Values(series[0]));
        Assert.Equal([1.0, 0], Values(series[1]));
        Assert.Equal([2.0, 0], Values(series[2]));
        Assert.Equal("rule 110", series[2].Label);
    }

    [Fact]
    public void Scores_are_best_mean_and_best_so_far_per_generation()
    {
        var scores = CycleSeries.Scores(ConsoleData.Generations);
        Assert.Equal(["best", "mean", "best-so-far"], scores.Select(s => s.Key));
        Assert.Equal([0.5, null, 0.4, 0.9], Values(scores[0]));
        Assert.Equal([0.25, null, 0.3, 0.6], Values(scores[1]));
        Assert.Equal([0.8, 0.6, 0.2, 0.35], Values(CycleSeries.Diversity(ConsoleData.Generations)));
        Assert.Equal([1000.0, 1200, 900, 1500], Values(CycleSeries.Tokens(ConsoleData.Generations)));
    }

    [Fact]
    public void Geometry_spans_the_values_and_the_threshold_and_leaves_out_missing_points()
    {
        var diversity = CycleSeries.Diversity(ConsoleData.Generations);
        var geometry = new ChartGeometry([diversity], threshold: 0.9);
        Assert.Equal(0.2, geometry.MinValue);
        Assert.Equal(0.9, geometry.MaxValue);
        Assert.Equal(ChartGeometry.Margin, geometry.X(1));
        Assert.Equal(ChartGeometry.Width - ChartGeometry.Margin, geometry.X(4));
        Assert.Equal(ChartGeometry.Margin, geometry.Y(0.9));
        Assert.Equal(ChartGeometry.Height - ChartGeometry.Margin, geometry.Y(0.2));

        var best = CycleSeries.Best(ConsoleData.Generations);
        Assert.Equal(3, new ChartGeometry([best], null).Polyline(best).Split(' ').Length);
    }

    [Fact]
    public void A_single_flat_generation_still_has_a_range()
    {
        var geometry = new ChartGeometry([CycleSeries.Best([ConsoleData.Generation(1, 2.0, 2.0, 0.5, 10)])], null);
        Assert.True(geometry.MaxValue > geometry.MinValue);
        Assert.Equal(ChartGeometry.Height / 2, geometry.Y(2.0), 6);
    }
}
