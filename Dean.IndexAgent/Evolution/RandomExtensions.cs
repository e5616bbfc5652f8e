using Dean.IndexAgent.Agents;
namespace Dean.IndexAgent.Evolution;

/// <summary>Sampling helpers over an explicitly seeded <see cref="Random"/>, so every plan is reproducible.</summary>
public static class RandomExtensions
{
    /// <summary>A standard normal sample (Box–Muller).</summary>
    public static double NextGaussian(this Random random)
    {
        // 1 - NextDouble() lies in (0, 1], so the logarithm is finite.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>True with probability <paramref name="probability"/>.</summary>
    public static bool NextBool(this Random random, double probability) => random.NextDouble() < probability;

    /// <summary>A uniformly chosen element.</summary>
    public static T Pick<T>(this Random random, IReadOnlyList<T> items)
    {
        if (items.Count == 0)
            throw new ArgumentException("Cannot pick from an empty list.", nameof(items));
        return items[random.Next(items.Count)];
    }

    /// <summary><paramref name="count"/> distinct elements chosen uniformly (partial Fisher–Yates), in draw order.</summary>
    public static List<T> Draw<T>(this Random random, IReadOnlyList<T> items, int count)
    {
        var pool = items.ToList();
        count = Math.Clamp(count, 0, pool.Count);
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, pool.Count);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool.GetRange(0, count);
    }
}
