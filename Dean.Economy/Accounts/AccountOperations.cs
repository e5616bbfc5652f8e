using Dapper;
using Dean.Economy.Infrastructure;
using Npgsql;

namespace Dean.Economy.Accounts;

/// <summary>Allocation and return: moves between a source (the global budget or a cycle pool) and an account.</summary>
public sealed class AccountOperations(IdempotentTransactions transactions, EconomyMetrics metrics)
{
    /// <param name="requestedTokens">tokens asked for; null when <paramref name="baseTokens"/> asks for the automatic allocation</param>
    public async Task<Outcome<AllocationResponse>> AllocateAsync(string agentId, long? requestedTokens, long? baseTokens, Priority priority, string? purpose,
        string? from, string? key, CancellationToken ct)
    {
        var outcome = await transactions.RunAsync<AllocationResponse>(key, "allocate", async (c, tx) =>
        {
            var source = from ?? AccountBook.Global;
            var (settings, book) = await AccountStore.LockWithSourceAsync(c, tx, agentId, from);
            var requested = requestedTokens ?? Math.Max(1, AllocationPolicy.Automatic(baseTokens!.Value, book.Find(agentId)?.Efficiency ?? 0,
                await c.ExecuteScalarAsync<long>("SELECT max_tokens_per_agent FROM economy_constraints WHERE id = 1", transaction: tx)));
            if (from is not null && book.Find(from) is null)
                return Outcome<AllocationResponse>.Refused(Refusal.NotFound($"pool {from} has no allocation"));
            // From the global budget to an agent of a running cycle: a global lot of its own (an emergency allocation).
            var globalLot = book.AddsGlobalLot(agentId, source);
            if (!globalLot && book.Find(agentId) is { } existing && existing.Source != source && book.RehomeRefusal(agentId, source) is { } refusal)
                return Outcome<AllocationResponse>.Refused(Refusal.Conflict(ProblemTypes.SourceMismatch, refusal));

            var reserve = from is null ? settings.Reserve : 0;
            var decision = AllocationPolicy.Decide(requested, priority, book.Unused(source), reserve);
            if (!decision.IsGranted)
            {
                return Outcome<AllocationResponse>.Refused(Refusal.BudgetExceeded(decision.RefusalReason!,
                    $"{source} cannot fund {requested} tokens at {priority.ToString().ToLowerInvariant()} priority " +
                    $"({Math.Max(0, book.Unused(source) - AllocationPolicy.HeldBack(priority, reserve))} usable)"));
            }
            if (!globalLot && book.Find(agentId) is { } moving && moving.Source != source) book.Rehome(agentId, source);
            var movementsBefore = book.Movements.Count;
            book.Allocate(agentId, source, decision.Granted, purpose);
            var ledgerIds = await AccountStore.WriteAsync(c, tx, book, key);
            var remaining = from is null ? Math.Max(0, book.Unused(AccountBook.Global) - reserve) : book.Unused(from);
            // The allocation's movements come last, source first, then the account: the account's row is its id.
            return Outcome<AllocationResponse>.Ok(new AllocationResponse(agentId, decision.Granted, requested, remaining,
                ledgerIds[movementsBefore + 1], priority, source, book.Find(agentId)!.Allocated));
        }, ct);
        if (!outcome.Replayed)
        {
            if (outcome.Value is { } v)
            {
                metrics.Allocated(v.AllocatedTokens);
                metrics.TrackAccount(v.AgentId);
            }
            else if (outcome.Refusal?.Reason is { } reason) metrics.Refused(reason);
        }
        return outcome;
    }

    public Task<Outcome<ReturnResponse>> ReturnAsync(string agentId, string? to, string? key, CancellationToken ct) =>
        transactions.RunAsync<ReturnResponse>(key, "return", async (c, tx) =>
        {
            var (_, book) = await AccountStore.LockWithSourceAsync(c, tx, agentId, null);
            if (book.Find(agentId) is not { } current) return Outcome<ReturnResponse>.Refused(Refusal.NotFound($"agent {agentId} has no allocation"));
            if (to is not null && to != current.Source)
                return Outcome<ReturnResponse>.Refused(Refusal.Conflict(ProblemTypes.SourceMismatch, $"{agentId} was funded by {current.Source}, not {to}"));
            var returned = book.Unused(agentId);
            var (toGlobal, toSource) = book.ReturnToSource(agentId, returned, "refund");
            var returnedTo = new Dictionary<string, long> { [AccountBook.Global] = toGlobal };
            returnedTo[current.Source] = returnedTo.GetValueOrDefault(current.Source) + toSource;
            book.MarkReturned(agentId);
            await AccountStore.WriteAsync(c, tx, book, key);
            var after = book.Find(agentId)!;
            return Outcome<ReturnResponse>.Ok(new ReturnResponse(agentId, returned, after.Source, after.Allocated, after.Consumed, after.Reserved,
                returnedTo.Where(r => r.Value > 0).ToDictionary()));
        }, ct);
}
