using Dapper;
using Dean.Economy.Accounts;
using Dean.Economy.Infrastructure;

namespace Dean.Economy.Governance;

/// <summary>Decay and rebalance over all accounts, under the settings lock and every account's row lock.</summary>
public sealed class GovernanceOperations(IdempotentTransactions transactions)
{
    public Task<Outcome<DecayResponse>> DecayAsync(string? key, CancellationToken ct) =>
        transactions.RunAsync<DecayResponse>(key, "decay", async (c, tx) =>
        {
            var (_, book) = await AccountStore.LockAsync(c, tx, null);
            var now = await c.ExecuteScalarAsync<DateTime>("SELECT now()", transaction: tx);
            var decayed = new List<DecayedAccount>();
            // Pools are a cycle's budget, not an agent's: only agents decay.
            foreach (var a in book.Accounts.Where(a => !a.IsPool && a.ReturnedAt is null).ToList())
            {
                var (amount, hours) = DecayPolicy.Compute(a.Unused, now - a.LastActivityAt, a.DecayHoursApplied);
                if (amount > 0)
                {
                    book.ReturnToSource(a.AccountId, amount, "decay");
                    decayed.Add(new DecayedAccount(a.AccountId, amount, hours, a.Source));
                }
                book.SetDecayHours(a.AccountId, hours);
            }
            await AccountStore.WriteAsync(c, tx, book, key);
            return Outcome<DecayResponse>.Ok(new DecayResponse(decayed, decayed.Sum(d => d.Amount)));
        }, ct);

    public Task<Outcome<RebalanceResponse>> RebalanceAsync(string? key, CancellationToken ct) =>
        transactions.RunAsync<RebalanceResponse>(key, "rebalance", async (c, tx) =>
        {
            var (_, book) = await AccountStore.LockAsync(c, tx, null);
            var moves = new List<Transfer>();
            // Only agents with a measured efficiency compete, and only with agents funded by the same source, so a
            // cycle's pool never leaks into another cycle or the global budget (an emergency lot is not moved).
            foreach (var group in book.Accounts.Where(a => !a.IsPool && a.ReturnedAt is null && a.Consumed > 0).GroupBy(a => a.Source))
            {
                var plan = RebalancePolicy.Plan(group.Select(a => new RebalanceCandidate(a.AccountId, a.Efficiency, a.SourceUnused)).ToList());
                foreach (var t in plan) book.Transfer(t.From, t.To, t.Amount);
                moves.AddRange(plan);
            }
            await AccountStore.WriteAsync(c, tx, book, key);
            return Outcome<RebalanceResponse>.Ok(new RebalanceResponse(moves, moves.Sum(m => m.Amount)));
        }, ct);
}
