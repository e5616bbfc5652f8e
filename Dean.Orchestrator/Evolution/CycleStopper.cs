using Hangfire;

namespace Dean.Orchestrator.Evolution;

/// <summary>A cycle asked to stop, and what it ended as (<c>stopped</c>, or another terminal status it reached first).</summary>
public sealed record StoppedCycle(string CycleId, string Status);

/// <summary>Where stopping some cycles has got to: those that ended, and those still ending when the wait ran out.</summary>
public sealed record StopProgress(IReadOnlyList<StoppedCycle> Ended, IReadOnlyList<string> StillEnding);

/// <summary>
/// The one way cycles are stopped, for the API, the emergency stop and a restore: mark the cycle <c>stopping</c>,
/// signal its running job, and enqueue a job that ends a pending cycle that never started; then wait for them to end.
/// </summary>
public sealed class CycleStopper(CycleStore cycles, CycleEvents events, IBackgroundJobClient jobs)
{
    /// <summary>How long an emergency stop or a restore waits for every cycle to end.</summary>
    public static readonly TimeSpan EndTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long <c>POST evolution/{id}/stop</c> waits before it answers with the status the cycle has then.</summary>
    public static readonly TimeSpan RequestWait = TimeSpan.FromSeconds(10);

    /// <summary>Asks every cycle that has not ended to stop; returns their ids.</summary>
    public async Task<IReadOnlyList<string>> StopAllAsync(CancellationToken ct)
    {
        var live = new List<string>();
        foreach (var id in await cycles.UnfinishedAsync(ct))
            if (await RequestAsync(id, ct)) live.Add(id);
        return live;
    }

    /// <summary>Asks one cycle to stop; false when it had ended already (or does not exist).</summary>
    public async Task<bool> RequestAsync(string id, CancellationToken ct)
    {
        if (!await cycles.RequestStopAsync(id, ct))
            // Already stopping (another caller asked): still one to wait for.
            return await cycles.StatusAsync(id, ct) == CycleStatus.Stopping;
        await events.SignalStopAsync(id);
        // The running job ends itself within seconds; a pending cycle that never started is ended by this job.
        jobs.Enqueue<CycleRunner>(runner => runner.RunAsync(id, null, CancellationToken.None));
        return true;
    }

    /// <summary>Waits until every one of <paramref name="ids"/> has ended, or <paramref name="timeout"/> has passed.</summary>
    public async Task<StopProgress> WaitAsync(IReadOnlyList<string> ids, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var ended = new List<StoppedCycle>();
            var stillEnding = new List<string>();
            foreach (var id in ids)
            {
                var status = await cycles.StatusAsync(id, ct) ?? CycleStatus.Stopped;
                if (CycleStatus.IsTerminal(status)) ended.Add(new StoppedCycle(id, status));
                else stillEnding.Add(id);
            }
            if (stillEnding.Count == 0 || DateTime.UtcNow > deadline) return new StopProgress(ended, stillEnding);
            await Task.Delay(200, ct);
        }
    }
}
