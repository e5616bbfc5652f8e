namespace Dean.Economy.Accounts;

/// <summary>What an allocation request gets: <see cref="Granted"/> tokens, or a refusal reason when nothing.</summary>
public readonly record struct AllocationDecision(long Granted, string? RefusalReason)
{
    public bool IsGranted => RefusalReason is null;
}

/// <summary>DESIGN 8 allocation arithmetic, free of I/O: the caller passes the source's free tokens and its reserve.</summary>
public static class AllocationPolicy
{
    public const string LowPriority = "low_priority";
    public const string BelowMinimumGrant = "below_minimum_grant";
    public const string InsufficientAllocation = "insufficient_allocation";
    public static readonly string[] RefusalReasons = [LowPriority, BelowMinimumGrant, InsufficientAllocation];

    public static bool TryParse(string? text, out Priority priority)
    {
        priority = default;
        return text is not null && text.Length > 0 && !char.IsDigit(text[0])
            && Enum.TryParse(text, ignoreCase: true, out priority) && Enum.IsDefined(priority);
    }

    /// <summary>The reserve of a budget, in whole tokens.</summary>
    public static long ReserveOf(long budget, decimal ratio) => (long)Math.Floor(budget * ratio);

    /// <summary>How much of the reserve a priority must leave untouched: all of it, half of it (high), none (critical).</summary>
    public static long HeldBack(Priority priority, long reserve) => priority switch
    {
        Priority.Critical => 0,
        Priority.High => reserve - reserve / 2,
        _ => reserve,
    };

    /// <param name="requested">tokens asked for (positive)</param>
    /// <param name="free">tokens of the source not yet allocated (global: budget − allocated; a pool: its unused allocation)</param>
    /// <param name="reserve">the part of <paramref name="free"/> kept for high and critical requests (0 for pools)</param>
    public static AllocationDecision Decide(long requested, Priority priority, long free, long reserve)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requested);
        var usable = Math.Max(0, free - HeldBack(priority, Math.Max(0, reserve)));
        if (requested <= usable) return new(requested, null);
        if (priority == Priority.Low) return new(0, LowPriority);
        // A partial grant only when it is worth having: at least 10% of the request.
        return usable > 0 && usable * 10 >= requested ? new(usable, null) : new(0, BelowMinimumGrant);
    }

    /// <summary>Automatic per-agent allocation: base × clamp(0.5 + efficiency, 0.5, 2.0), capped by max_tokens_per_agent.</summary>
    public static long Automatic(long baseTokens, double efficiency, long maxTokensPerAgent)
    {
        var factor = Math.Clamp(0.5 + (double.IsFinite(efficiency) ? efficiency : 0), 0.5, 2.0);
        return Math.Min(maxTokensPerAgent, (long)Math.Floor(baseTokens * factor));
    }
}
