namespace Dean.Contracts.Evolution;

/// <summary>The elementary cellular-automata rules the population step runs (DESIGN 5), by Wolfram number.</summary>
public static class CaRules
{
    public const int CreateImprovedNeighbour = 110;
    public const int Fork = 30;
    public const int Abstract = 90;
    public const int LearnFromBetterNeighbour = 184;
    public const int Cleanup = 1;

    /// <summary>The supported rules, in the order their actions are planned; a cycle enables all of them unless it names some.</summary>
    public static IReadOnlyList<int> Supported { get; } = [CreateImprovedNeighbour, Fork, Abstract, LearnFromBetterNeighbour, Cleanup];

    public static bool IsSupported(int rule) => Supported.Contains(rule);

    /// <summary>Rule 1 retires at most this fraction of the population in one generation (and the population manager in one run).</summary>
    public const double MaxRetireFraction = 0.3;
}
