using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evolution;

namespace Dean.Tests.Evolution;

public sealed class ElementaryCellularAutomatonTests
{
    // OEIS A110240: the live cells of rule 30's n-th generation from a single live cell, read as a binary number.
    private static readonly long[] Rule30Rows =
    [
        1, 7, 25, 111, 401, 1783, 6409, 28479, 102849, 456263, 1641433, 7287855, 26332369, 116815671, 420186569, 1865727615,
    ];

    // OEIS A051023: the centre column of rule 30 from a single live cell.
    private static readonly int[] Rule30CentreColumn = [1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1];

    [Fact]
    public void Rule_30_from_a_single_live_cell_reproduces_its_known_first_rows()
    {
        const int width = 41; // wide enough that 16 generations never wrap around the ring
        var initial = new bool[width];
        initial[width / 2] = true;

        var rows = ElementaryCellularAutomaton.EvolveRing(30, initial, Rule30Rows.Length - 1);

        Assert.Equal(Rule30Rows.Length, rows.Count);
        for (var generation = 0; generation < rows.Count; generation++)
        {
            var live = new string(rows[generation].Select(c => c ? '1' : '0').ToArray()).Trim('0');
            Assert.Equal(Rule30Rows[generation], Convert.ToInt64(live, 2));
            Assert.Equal(Rule30CentreColumn[generation] == 1, rows[generation][width / 2]);
        }
    }

    // Each row: rule, left, centre, right, next — the rule icons of Wolfram's numbering, written out per neighbourhood.
    [Theory]
    [InlineData(110, 1, 1, 1, 0)] [InlineData(110, 1, 1, 0, 1)] [InlineData(110, 1, 0, 1, 1)] [InlineData(110, 1, 0, 0, 0)]
    [InlineData(110, 0, 1, 1, 1)] [InlineData(110, 0, 1, 0, 1)] [InlineData(110, 0, 0, 1, 1)] [InlineData(110, 0, 0, 0, 0)]
    [InlineData(90, 1, 1, 1, 0)] [InlineData(90, 1, 1, 0, 1)] [InlineData(90, 1, 0, 1, 0)] [InlineData(90, 1, 0, 0, 1)]
    [InlineData(90, 0, 1, 1, 1)] [InlineData(90, 0, 1, 0, 0)] [InlineData(90, 0, 0, 1, 1)] [InlineData(90, 0, 0, 0, 0)]
    [InlineData(184, 1, 1, 1, 1)] [InlineData(184, 1, 1, 0, 0)] [InlineData(184, 1, 0, 1, 1)] [InlineData(184, 1, 0, 0, 1)]
    [InlineData(184, 0, 1, 1, 1)] [InlineData(184, 0, 1, 0, 0)] [InlineData(184, 0, 0, 1, 0)] [InlineData(184, 0, 0, 0, 0)]
    [InlineData(1, 1, 1, 1, 0)] [InlineData(1, 1, 1, 0, 0)] [InlineData(1, 1, 0, 1, 0)] [InlineData(1, 1, 0, 0, 0)]
    [InlineData(1, 0, 1, 1, 0)] [InlineData(1, 0, 1, 0, 0)] [InlineData(1, 0, 0, 1, 0)] [InlineData(1, 0, 0, 0, 1)]
    [InlineData(30, 1, 1, 1, 0)] [InlineData(30, 1, 1, 0, 0)] [InlineData(30, 1, 0, 1, 0)] [InlineData(30, 1, 0, 0, 1)]
    [InlineData(30, 0, 1, 1, 1)] [InlineData(30, 0, 1, 0, 1)] [InlineData(30, 0, 0, 1, 1)] [InlineData(30, 0, 0, 0, 0)]
    public void Rule_table_matches_Wolfram_numbering_on_every_neighbourhood(int rule, int left, int centre, int right, int expected)
    {
        Assert.Equal(expected, ElementaryCellularAutomaton.Next(rule, left, centre, right));
        Assert.Equal(expected == 1, ElementaryCellularAutomaton.Next(rule, left == 1, centre == 1, right == 1));
        Assert.Equal(expected, ElementaryCellularAutomaton.LookupTable(rule)[4 * left + 2 * centre + right]);
    }

    [Fact]
    public void Ring_wraps_around_so_the_last_cell_neighbours_the_first()
    {
        // Rule 184 moves a car one cell to the right: from the last cell it reaches the first.
        var next = ElementaryCellularAutomaton.StepRing(184, [false, false, false, true]);
        Assert.Equal(new[] { true, false, false, false }, next);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(256)]
    public void Rule_numbers_outside_0_to_255_are_refused(int rule) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ElementaryCellularAutomaton.Next(rule, 0, 0, 0));
}
