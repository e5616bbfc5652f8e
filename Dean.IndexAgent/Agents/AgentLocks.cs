using System.Collections.Concurrent;

namespace Dean.IndexAgent.Agents;

/// <summary>One operation at a time per agent: a step, a retirement and a crossover read never interleave in a worktree.</summary>
public sealed class AgentLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    public async Task<IDisposable> AcquireAsync(string agentId, CancellationToken ct)
    {
        var gate = _locks.GetOrAdd(agentId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Releaser(gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }
}
