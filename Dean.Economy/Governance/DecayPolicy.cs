namespace Dean.Economy.Governance;

/// <summary>DESIGN 8 decay: an agent idle for more than an hour loses 5% of its unused allocation per idle hour.</summary>
public static class DecayPolicy
{
    public const decimal KeptPerHour = 0.95m;

    /// <summary>
    /// Tokens to take back now and the idle hours they account for. <paramref name="hoursApplied"/> are the idle hours
    /// already decayed since the agent's last activity, so running decay every few minutes never charges an hour twice.
    /// </summary>
    public static (long Amount, int IdleHours) Compute(long unused, TimeSpan idle, int hoursApplied)
    {
        var hours = idle <= TimeSpan.Zero ? 0 : (int)Math.Min(int.MaxValue, Math.Floor(idle.TotalHours));
        if (hours < 1 || hours <= hoursApplied || unused <= 0) return (0, Math.Max(hours, hoursApplied));
        // Decimal, so whole-token results (10,000 × 0.95² = 9,025) are exact rather than 9,025.000000001 rounded up.
        var factor = 1m;
        for (var i = 0; i < Math.Min(hours - hoursApplied, 2000) && factor > 0; i++) factor *= KeptPerHour;
        var kept = (long)Math.Ceiling(unused * factor);
        return (unused - Math.Min(unused, kept), hours);
    }
}

public sealed record RebalanceCandidate(string AccountId, double Efficiency, long Unused);

/// <summary>DESIGN 8 rebalance: the bottom 20% by efficiency lose 20% of their unused allocation to the top 20%.</summary>
public static class RebalancePolicy
{
    /// <summary>How many agents form the bottom (and the top) fifth: at least one as soon as there are two agents.</summary>
    public static int FifthOf(int count) => count < 2 ? 0 : Math.Max(1, count / 5);

    /// <summary>Transfers within one group of agents sharing a source; deterministic (ties broken by id).</summary>
    public static IReadOnlyList<Transfer> Plan(IReadOnlyList<RebalanceCandidate> group)
    {
        var k = FifthOf(group.Count);
        if (k == 0) return [];
        var sorted = group.OrderBy(c => c.Efficiency).ThenBy(c => c.AccountId, StringComparer.Ordinal).ToList();
        var bottom = sorted.Take(k).ToList();
        var top = sorted.Skip(sorted.Count - k).OrderByDescending(c => c.Efficiency).ThenBy(c => c.AccountId, StringComparer.Ordinal).ToList();
        var floor = top.Min(c => c.Efficiency);
        var transfers = new List<Transfer>();
        foreach (var loser in bottom)
        {
            // Equally efficient agents have nothing to gain from each other.
            if (loser.Efficiency >= floor) continue;
            var amount = loser.Unused / 5;
            if (amount <= 0) continue;
            var share = amount / top.Count;
            var remainder = amount % top.Count;
            for (var i = 0; i < top.Count; i++)
            {
                var part = share + (i < remainder ? 1 : 0);
                if (part > 0) transfers.Add(new Transfer(loser.AccountId, top[i].AccountId, part));
            }
        }
        return transfers;
    }
}
