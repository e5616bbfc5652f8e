using Dean.IndexAgent.Agents;
namespace Dean.IndexAgent.Evolution;

/// <summary>
/// Elementary (one-dimensional, two-state, radius-1) cellular automata in Wolfram's numbering:
/// the next state of a cell is bit <c>4·l + 2·c + r</c> of the rule number.
/// </summary>
public static class ElementaryCellularAutomaton
{
    /// <summary>The next state of a cell whose left neighbour, own state and right neighbour are given (each 0 or 1).</summary>
    public static int Next(int rule, int left, int center, int right)
    {
        ValidateRule(rule);
        ValidateBit(left, nameof(left));
        ValidateBit(center, nameof(center));
        ValidateBit(right, nameof(right));
        return (rule >> ((left << 2) | (center << 1) | right)) & 1;
    }

    /// <summary>Boolean convenience form of <see cref="Next(int,int,int,int)"/>.</summary>
    public static bool Next(int rule, bool left, bool center, bool right) =>
        Next(rule, left ? 1 : 0, center ? 1 : 0, right ? 1 : 0) == 1;

    /// <summary>The rule's full lookup table, indexed by neighbourhood <c>4·l + 2·c + r</c> (0..7).</summary>
    public static IReadOnlyList<int> LookupTable(int rule)
    {
        ValidateRule(rule);
        var table = new int[8];
        for (var neighbourhood = 0; neighbourhood < 8; neighbourhood++)
            table[neighbourhood] = (rule >> neighbourhood) & 1;
        return table;
    }

    /// <summary>One synchronous step of a ring (the first and last cells are neighbours).</summary>
    public static bool[] StepRing(int rule, IReadOnlyList<bool> row)
    {
        ValidateRule(rule);
        var next = new bool[row.Count];
        for (var i = 0; i < row.Count; i++)
        {
            var (left, right) = RingNeighbours(row, i);
            next[i] = Next(rule, left, row[i], right);
        }
        return next;
    }

    /// <summary>The initial row followed by <paramref name="steps"/> successive ring steps.</summary>
    public static IReadOnlyList<bool[]> EvolveRing(int rule, IReadOnlyList<bool> initial, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        var rows = new List<bool[]>(steps + 1) { initial.ToArray() };
        for (var step = 0; step < steps; step++)
            rows.Add(StepRing(rule, rows[^1]));
        return rows;
    }

    /// <summary>Left and right neighbour of cell <paramref name="index"/> on a ring.</summary>
    public static (T Left, T Right) RingNeighbours<T>(IReadOnlyList<T> ring, int index)
    {
        var count = ring.Count;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count, nameof(ring));
        return (ring[(index - 1 + count) % count], ring[(index + 1) % count]);
    }

    private static void ValidateRule(int rule)
    {
        if (rule is < 0 or > 255)
            throw new ArgumentOutOfRangeException(nameof(rule), rule, "An elementary rule number is in 0..255.");
    }

    private static void ValidateBit(int value, string name)
    {
        if (value is not (0 or 1))
            throw new ArgumentOutOfRangeException(name, value, "A cell state is 0 or 1.");
    }
}
