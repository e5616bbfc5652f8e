using Dean.Economy.Accounts;
using FsCheck;
using FsCheck.Fluent;

namespace Dean.Tests.Economy;

/// <summary>
/// The in-process model of multi-account movements: any sequence of allocations (from the global budget or a pool),
/// returns, transfers, closed pools and re-homes keeps Σ allocated within the budget, every pool covering its agents, and a ledger whose
/// balances chain per account.
/// </summary>
public sealed class AccountBookProperties
{
    private sealed record Step(int Kind, int A, int B, int Amount);

    private static readonly string[] Ids = ["cycle:1", "cycle:2", "agent-a", "agent-b", "agent-c", "agent-d"];

    private static readonly Arbitrary<List<Step>> Steps =
        Gen.Choose(0, 4).SelectMany(kind => Gen.Choose(0, Ids.Length - 1).SelectMany(a => Gen.Choose(0, Ids.Length).SelectMany(b =>
            Gen.Choose(1, 40_000).Select(n => new Step(kind, a, b, n))))).ListOf().Select(l => l.ToList()).ToArbitrary();

    [Fact]
    public void Any_sequence_keeps_the_invariants() =>
        Prop.ForAll(Steps, steps =>
        {
            var book = new AccountBook(100_000, 0, []);
            foreach (var s in steps)
            {
                var id = Ids[s.A];
                var other = s.B < Ids.Length ? Ids[s.B] : AccountBook.Global;
                var existing = book.Find(id);
                switch (s.Kind)
                {
                    case 0: // allocate from global or a pool, as the service would: only what the source has, re-homing when allowed
                        var source = AccountBook.IsPool(other) && other != id && book.Find(other) is not null ? other : AccountBook.Global;
                        if (existing is not null && existing.Source != source)
                        {
                            var globalFunded = source == AccountBook.Global || book.Find(source)!.Source == AccountBook.Global;
                            if (!globalFunded || book.RehomeRefusal(id, source) is not null) break;
                            book.Rehome(id, source);
                        }
                        var grant = Math.Min(s.Amount, book.Unused(source));
                        if (grant > 0) book.Allocate(id, source, grant, null);
                        break;
                    case 1:
                        if (existing is not null) book.ReturnToSource(id, Math.Min(s.Amount, existing.Unused), "refund");
                        break;
                    case 2:
                        if (existing is not null && book.Find(other) is { } to && to.Source == existing.Source && to.AccountId != id && existing.Unused > 0)
                            book.Transfer(id, other, Math.Min(s.Amount, existing.Unused));
                        break;
                    case 3:
                        if (book.GlobalAllocated <= s.Amount * 5L) book.SetBudget(s.Amount * 5L);
                        break;
                    case 4: // a cycle ends: its pool gives back what is unused and is closed
                        if (existing is not null && existing.IsPool)
                        {
                            book.ReturnToSource(id, existing.Unused, "refund");
                            book.MarkReturned(id);
                        }
                        break;
                }
            }
            var accounts = book.Accounts.ToList();
            var chained = book.Movements.GroupBy(m => m.AccountId).All(g =>
                g.Zip(g.Skip(1)).All(p => p.First.BalanceAfter == p.Second.BalanceBefore)
                && g.Last().BalanceAfter == book.Unused(g.Key)
                && g.First().BalanceBefore == (g.Key == AccountBook.Global ? 100_000 : 0));
            return book.GlobalAllocated <= book.GlobalBudget
                && accounts.Where(a => a.Source == AccountBook.Global).Sum(a => a.Allocated) == book.GlobalAllocated
                && accounts.All(a => a.Unused >= 0 && a.Suballocated == accounts.Where(c => c.Source == a.AccountId).Sum(c => c.Allocated))
                && chained;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void A_closed_pools_agent_moves_to_the_global_budget_keeping_what_it_consumed()
    {
        var book = new AccountBook(10_000, 4_000,
        [
            new AccountState("cycle:1", AccountBook.Global, Allocated: 4_000, Consumed: 0, Reserved: 0, Suballocated: 3_000),
            new AccountState("a", "cycle:1", Allocated: 3_000, Consumed: 2_000, Reserved: 0, Suballocated: 0),
        ]);
        Assert.Contains("still open", book.RehomeRefusal("a", AccountBook.Global));
        book.ReturnToSource("cycle:1", 1_000, "refund");
        book.MarkReturned("cycle:1");
        Assert.Null(book.RehomeRefusal("a", AccountBook.Global));

        book.Rehome("a", AccountBook.Global);
        Assert.Equal(new AccountState("a", AccountBook.Global, 2_000, 2_000, 0, 0), book.Find("a"));
        Assert.Equal((0L, 0L), (book.Find("cycle:1")!.Allocated, book.Find("cycle:1")!.Suballocated));
        Assert.Equal(2_000, book.GlobalAllocated); // the agent's 1,000 unused came back through the closed pool
        Assert.Equal(["refund", "refund", "refund", "refund", "rehome", "rehome"], book.Movements.Skip(2).Select(m => m.Type));
    }

    [Fact]
    public void Overdrawing_is_impossible()
    {
        var book = new AccountBook(1_000, 0, []);
        book.Allocate("cycle:x", AccountBook.Global, 600, null);
        Assert.Throws<InvalidOperationException>(() => book.Allocate("a", AccountBook.Global, 401, null));
        book.Allocate("a", "cycle:x", 600, null);
        Assert.Throws<InvalidOperationException>(() => book.Allocate("b", "cycle:x", 1, null));
        Assert.Throws<InvalidOperationException>(() => book.ReturnToSource("cycle:x", 1, "refund"));
        Assert.Throws<InvalidOperationException>(() => book.SetBudget(599));
    }
}
