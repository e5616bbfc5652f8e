namespace Dean.Contracts;

/// <summary>The paging every list endpoint accepts: <c>limit</c> in [1, <see cref="MaxLimit"/>], <c>offset</c> ≥ 0.</summary>
public static class Paging
{
    public const int MaxLimit = 500;

    /// <summary>True when <paramref name="limit"/> is absent (the endpoint's default applies) or within [1, <see cref="MaxLimit"/>].</summary>
    public static bool IsValidLimit(int? limit) => limit is null or (>= 1 and <= MaxLimit);

    public static string LimitMessage { get; } = $"limit must be from 1 to {MaxLimit}";
}
