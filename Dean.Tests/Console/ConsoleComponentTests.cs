using System.Globalization;
using Bunit;
using Dean.Contracts.Orchestrator;
using Dean.Orchestrator.Evolution;
using Dean.Orchestrator.OperatorConsole;
using Dean.Orchestrator.OperatorConsole.Components;
using Dean.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Dean.Tests.OperatorConsole;

/// <summary>The console's components rendered on fixed data, with the console's real principal and policies.</summary>
public sealed class ConsoleComponentTests
{
    [Fact]
    public void The_charts_get_best_mean_and_best_so_far_diversity_with_its_threshold_and_tokens()
    {
        using var context = new ConsoleTestContext(Roles.Viewer);
        var cut = context.Render<CycleCharts>(p => p.Add(c => c.Cycle, ConsoleData.Cycle()));

        var charts = cut.FindComponents<LineChart>().ToDictionary(c => c.Instance.Key);
        Assert.Equal(["scores", "diversity", "rules", "tokens"], charts.Keys);
        // The cycle runs rules 30 and 110: one line each, even where neither fired.
        Assert.Equal(["rule-30", "rule-110"], charts["rules"].Instance.Series.Select(s => s.Key));
        var scores = charts["scores"].Instance.Series;
        Assert.Equal(["best", "mean", "best-so-far"], scores.Select(s => s.Key));
        Assert.Equal([0.5, 0.5, 0.5, 0.9], scores[2].Points.Select(p => p.Value));
        Assert.Equal(0.3, charts["diversity"].Instance.Threshold);
        Assert.Equal([1000.0, 1200, 900, 1500], charts["tokens"].Instance.Series.Single().Points.Select(p => p.Value));

        // The markup: one polyline per series, with the points the geometry puts them at, and the threshold line.
        var scoreChart = cut.Find("[data-chart=scores]");
        Assert.Equal(["best", "mean", "best-so-far"], scoreChart.QuerySelectorAll("polyline").Select(l => l.GetAttribute("data-series")));
        var geometry = new ChartGeometry(scores, null);
        Assert.Equal(geometry.Polyline(scores[2]), scoreChart.QuerySelector("[data-series=best-so-far]")!.GetAttribute("points"));
        Assert.Equal(4, geometry.Polyline(scores[2]).Split(' ').Length);
        var threshold = cut.Find("[data-chart=diversity] line.threshold");
        Assert.Equal("0.3", threshold.GetAttribute("data-threshold"));
        Assert.Empty(cut.FindAll("[data-chart=tokens] line.threshold"));
    }

    [Fact]
    public void A_cycle_without_generations_says_so_instead_of_drawing()
    {
        using var context = new ConsoleTestContext(Roles.Viewer);
        var cut = context.Render<CycleCharts>(p => p.Add(c => c.Cycle, ConsoleData.Cycle(generations: [])));
        Assert.Empty(cut.FindAll("svg"));
        Assert.Equal(4, cut.FindAll(".console-chart p").Count);
    }

    [Fact]
    public void The_edit_kind_table_has_a_row_per_kind_most_proposed_first()
    {
        using var context = new ConsoleTestContext(Roles.Viewer);
        var kinds = new Dictionary<string, EditKindStats> { ["line-swap"] = new(3, 1, 2, 1), ["operator-swap"] = new(8, 0, 8, 2) };
        var cut = context.Render<EditKindTable>(p => p.Add(c => c.EditKinds, kinds));
        var rows = cut.FindAll("tbody tr");
        Assert.Equal(["operator-swap", "line-swap"], rows.Select(r => r.GetAttribute("data-kind")));
        Assert.Equal(["line-swap", "3", "1", "2", "1", "50 %"], rows[1].QuerySelectorAll("td").Select(td => td.TextContent.Trim()));
    }

    [Fact]
    public void A_viewer_sees_the_cycles_but_no_start_form()
    {
        using var context = new ConsoleTestContext(Roles.Viewer);
        var cut = context.Render<CyclesView>(p => p
            .Add(c => c.Cycles, [ConsoleData.Cycle()])
            .Add(c => c.Start, _ => throw new InvalidOperationException("a viewer cannot start")));
        Assert.Single(cut.FindAll("tr[data-cycle=cycle_007]"));
        Assert.Empty(cut.FindAll("[data-form=start-cycle]"));
        Assert.Empty(cut.FindAll("#start-cycle"));
    }

    [Theory]
    [InlineData(Roles.Operator)]
    [InlineData(Roles.Admin)]
    public void Operators_and_admins_get_the_start_form(string role)
    {
        using var context = new ConsoleTestContext(role);
        var cut = context.Render<CyclesView>(p => p
            .Add(c => c.Cycles, [ConsoleData.Cycle()])
            .Add(c => c.Start, _ => Task.FromResult(new StartCycleOutcome(null, null, "unused"))));
        Assert.Single(cut.FindAll("#start-cycle"));
    }

    [Fact]
    public void The_cycle_table_shows_status_generation_best_and_tokens_against_budget()
    {
        using var context = new ConsoleTestContext(Roles.Viewer);
        var cut = context.Render<CycleTable>(p => p.Add(c => c.Cycles, [ConsoleData.Cycle()]));
        var cells = cut.FindAll("tr[data-cycle=cycle_007] td").Select(td => td.TextContent.Trim()).ToList();
        Assert.Equal("cycle_007", cells[0]);
        Assert.Equal("function-minimization", cells[1]);
        Assert.Equal(CycleStatus.Running, cells[2]);
        Assert.Equal("4 / 10", cells[3]);
        Assert.Equal("0.9", cells[4]);
        Assert.Equal("4,600 / 50,000", cells[5]);
        Assert.Equal("/console/cycles/cycle_007", cut.Find("tr[data-cycle=cycle_007] a").GetAttribute("href"));
    }

    [Fact]
    public void An_empty_start_form_shows_the_launchers_own_errors_next_to_their_inputs()
    {
        using var context = new ConsoleTestContext(Roles.Operator);
        StartCycleRequest? sent = null;
        var cut = context.Render<StartCycleForm>(p => p.Add(c => c.Start, request =>
        {
            sent = request;
            return Task.FromResult(new StartCycleOutcome(null, CycleLauncher.Validate(request), null));
        }));

        cut.Find("#start-cycle").Click();

        Assert.NotNull(sent);
        Assert.Null(sent.Target);
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-error]")));
        Assert.Equal("generations must be a positive integer", cut.Find("[data-error=generations]").TextContent);
        Assert.Equal("token_budget must be a positive integer", cut.Find("[data-error=token_budget]").TextContent);
        Assert.Equal("give either population_ids or population_size", cut.Find("[data-error=population_size]").TextContent);
        Assert.Empty(cut.FindAll("[data-error=target]"));
    }

    [Fact]
    public void The_economys_constraint_errors_and_a_budget_refusal_land_on_the_form()
    {
        using var context = new ConsoleTestContext(Roles.Operator);
        var violations = new Dictionary<string, string[]>
        {
            ["max_generations"] = ["generations 500 exceeds max_generations 100"],
            ["population_size_range"] = ["population_size 1 is below the minimum 2"],
        };
        var cut = context.Render<StartCycleForm>(p => p.Add(c => c.Start, _ => Task.FromResult(new StartCycleOutcome(null, violations, null))));
        cut.Find("#start-cycle").Click();
        cut.WaitForAssertion(() => Assert.Equal("generations 500 exceeds max_generations 100", cut.Find("[data-error=generations]").TextContent));
        Assert.Equal("population_size 1 is below the minimum 2", cut.Find("[data-error=population_size]").TextContent);

        var refused = context.Render<StartCycleForm>(p => p.Add(c => c.Start, _ =>
            Task.FromResult(new StartCycleOutcome(null, null, "Only 10 of 50000 tokens are available."))));
        refused.Find("#start-cycle").Click();
        refused.WaitForAssertion(() => Assert.Contains("Only 10 of 50000 tokens are available.", refused.Find("[data-error=general]").TextContent));
    }

    [Fact]
    public void A_started_cycle_opens_its_page()
    {
        using var context = new ConsoleTestContext(Roles.Operator);
        var cut = context.Render<StartCycleForm>(p => p.Add(c => c.Start, _ =>
            Task.FromResult(new StartCycleOutcome(new Cycle { Id = "cycle_042", Status = CycleStatus.Pending }, null, null))));
        cut.Find("#start-cycle").Click();
        var navigation = context.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        cut.WaitForAssertion(() => Assert.EndsWith("/console/cycles/cycle_042", navigation.Uri));
        Assert.Empty(cut.FindAll("[data-error]"));
    }

    [Fact]
    public void The_economy_shows_the_budget_and_the_accounts_most_consuming_first()
    {
        using var context = new ConsoleTestContext(Roles.Viewer);
        var budget = new Dean.Contracts.Economy.BudgetResponse(1_000_000, 300_000, 120_000, 5_000, 695_000, 50_000, 3, 0.8, DateTimeOffset.UnixEpoch);
        var usage = new Dean.Contracts.Economy.UsageResponse(24, 300_000, 120_000,
            [new("agent_001", 100_000, 20_000), new("cycle:cycle_001", 200_000, 100_000)],
            [new(DateTimeOffset.UnixEpoch, 300_000, 120_000)]);
        var cut = context.Render<EconomyView>(p => p.Add(c => c.Budget, budget).Add(c => c.Usage, usage));
        Assert.Equal("1,000,000", cut.Find("[data-field=global]").TextContent);
        Assert.Equal("5,000", cut.Find("[data-field=reserved]").TextContent);
        Assert.Equal("695,000", cut.Find("[data-field=available]").TextContent);
        Assert.Equal(["cycle:cycle_001", "agent_001"], cut.FindAll("[data-table=accounts] tbody tr").Select(r => r.GetAttribute("data-account")));
        Assert.Equal("50 %", cut.FindAll("tr[data-account='cycle:cycle_001'] td")[3].TextContent);
        Assert.Single(cut.FindAll("[data-table=hours] tbody tr"));
    }

    [Theory]
    [InlineData("/console/cycles/cycle_001", "/console/cycles/cycle_001")]
    [InlineData("https://evil.example/console/", "/console/cycles")]
    [InlineData("//evil.example/console/x", "/console/cycles")]
    [InlineData("/console//evil.example", "/console/cycles")]
    [InlineData("/api/v1/evolution/", "/console/cycles")]
    [InlineData(null, "/console/cycles")]
    public void Sign_in_returns_only_to_a_console_page(string? returnUrl, string expected) =>
        Assert.Equal(expected, ConsoleAuthentication.LocalReturnUrl(returnUrl));

    [Fact]
    public void Numbers_are_written_the_same_whatever_the_culture()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            Assert.Equal("12,345", ConsoleFormat.Tokens(12345));
            Assert.Equal("0.125", ConsoleFormat.Score(0.125));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }
}
