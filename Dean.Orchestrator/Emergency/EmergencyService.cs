using System.Net;
using Dean.Orchestrator.Clients;
using Dean.Orchestrator.Evolution;

namespace Dean.Orchestrator.Emergency;

public sealed record StopAllResult(long EmergencyId, IReadOnlyList<StoppedCycle> StoppedCycles, IReadOnlyList<string> PausedAgents,
    int ReleasedReservations, long ReleasedTokens, IReadOnlyList<string> CyclesStillEnding);

public sealed record ResumeResult(long EmergencyId, IReadOnlyList<string> ResumedAgents, IReadOnlyList<string> NotResumed, IReadOnlyList<string> StoppedCycles);

/// <summary>
/// The runbook's emergency procedure in one call: stop every cycle (and wait for it to end, so no step is mid-flight),
/// pause every active agent, then release every open reservation at the economy. Order matters: cycles first, so a
/// running generation cannot open new reservations after they were released.
/// </summary>
public sealed class EmergencyService(
    CycleStopper stopper, IndexAgentClient indexAgent, EconomyClient economy, EmergencyStore store, ILogger<EmergencyService> logger)
{
    public async Task<StopAllResult> StopAllAsync(string by, CancellationToken ct)
    {
        var live = await stopper.StopAllAsync(ct);
        var (ended, pending) = await stopper.WaitAsync(live, CycleStopper.EndTimeout, ct);

        var paused = new List<string>();
        foreach (var agent in await ActiveAgentsAsync(ct))
        {
            try
            {
                await indexAgent.PauseAgentAsync(agent, ct);
                paused.Add(agent);
            }
            catch (DownstreamException ex) when (ex.Status is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                // Retired or exhausted meanwhile: nothing to pause.
            }
        }

        var released = await economy.ReleaseAllReservationsAsync(ct);
        var (count, tokens) = (released.Released, released.ReleasedTokens);
        var stop = await store.RecordAsync(by, ended.Select(c => c.CycleId).Concat(pending).ToArray(), paused.ToArray(), count, tokens, ct);
        logger.LogWarning("Emergency stop {Id} by {By}: {Cycles} cycles stopped ({Ending} still ending), {Agents} agents paused, {Reservations} reservations released ({Tokens} tokens)",
            stop.Id, by, ended.Count, pending.Count, paused.Count, count, tokens);
        return new StopAllResult(stop.Id, ended, paused, count, tokens, pending);
    }

    /// <summary>Resumes the agents the stop paused (those still paused); stopped cycles stay stopped — start new ones.</summary>
    public async Task<ResumeResult?> ResumeAsync(string by, CancellationToken ct)
    {
        var stop = await store.ActiveAsync(ct);
        if (stop is null) return null;
        var resumed = new List<string>();
        var notResumed = new List<string>();
        foreach (var agent in stop.PausedAgents.Distinct())
        {
            try
            {
                await indexAgent.ResumeAgentAsync(agent, ct);
                resumed.Add(agent);
            }
            catch (DownstreamException ex) when (ex.Status is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                notResumed.Add(agent);
            }
        }
        await store.MarkResumedAsync(stop.Id, by, ct);
        logger.LogWarning("Emergency stop {Id} resumed by {By}: {Resumed} agents resumed", stop.Id, by, resumed.Count);
        return new ResumeResult(stop.Id, resumed, notResumed, stop.StoppedCycles);
    }

    // Pausing shrinks the "active" list, so it is read whole before anything is paused.
    private async Task<List<string>> ActiveAgentsAsync(CancellationToken ct) =>
        (await indexAgent.ListAllAgentsAsync("active", ct)).Select(a => a.Id).ToList();
}
