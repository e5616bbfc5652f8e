namespace Dean.Economy.Accounts;

/// <summary>
/// An account. <see cref="GlobalLot"/> is the part of <see cref="Allocated"/> that came from the global budget while the
/// account's <see cref="Source"/> is a pool (an emergency allocation during a cycle, DESIGN section 8): the account has
/// two lots then, its source's and the global one. Spending draws the source's lot first; unused tokens go back to each
/// lot's own source, the global lot's first.
/// </summary>
public sealed record AccountState(string AccountId, string Source, long Allocated, long Consumed, long Reserved, long Suballocated,
    double ValueGenerated = 0, DateTime LastActivityAt = default, int DecayHoursApplied = 0, DateTime? ReturnedAt = null, long GlobalLot = 0)
{
    public long Unused => Allocated - Consumed - Reserved - Suballocated;

    /// <summary>The allocation that came from <see cref="Source"/>: what the source's books count for this account.</summary>
    public long SourceLot => Allocated - GlobalLot;

    /// <summary>Unused tokens of the source's lot (spending draws it first).</summary>
    public long SourceUnused => Math.Max(0, SourceLot - Consumed - Reserved - Suballocated);

    /// <summary>Unused tokens of the global lot.</summary>
    public long GlobalUnused => Unused - SourceUnused;
    public bool IsPool => AccountBook.IsPool(AccountId);

    /// <summary>Value generated per 1,000 tokens consumed (0 before anything was consumed).</summary>
    public double Efficiency => Consumed == 0 ? 0 : ValueGenerated * 1000 / Consumed;
}

/// <summary>One ledger row: the account's balance (unused allocation; global: budget − allocated) before and after.</summary>
public sealed record Movement(string AccountId, string Type, long Amount, long BalanceBefore, long BalanceAfter, string? Reference);

/// <summary>
/// An in-memory view of locked accounts that multi-account operations (allocate, return, decay, rebalance, reset)
/// change; it checks every invariant as it goes and records the ledger movements and the deltas to persist.
/// No I/O: <see cref="AccountStore"/> loads it under row locks and writes its deltas.
/// </summary>
public sealed class AccountBook
{
    public const string Global = "global";
    public const string PoolPrefix = "cycle:";
    private readonly Dictionary<string, Entry> _accounts = new(StringComparer.Ordinal);
    private readonly List<Movement> _movements = [];

    public AccountBook(long globalBudget, long globalAllocated, IEnumerable<AccountState> accounts)
    {
        GlobalBudget = globalBudget;
        GlobalAllocated = globalAllocated;
        foreach (var a in accounts) _accounts[a.AccountId] = new Entry(a, isNew: false);
    }

    public static bool IsPool(string id) => id.StartsWith(PoolPrefix, StringComparison.Ordinal);

    public long GlobalBudget { get; private set; }
    public long GlobalAllocated { get; private set; }
    public long GlobalAllocatedDelta { get; private set; }
    public long GlobalBudgetDelta { get; private set; }
    public IReadOnlyList<Movement> Movements => _movements;
    public IEnumerable<Entry> Changed => _accounts.Values.Where(e => e.Changed);
    public IEnumerable<AccountState> Accounts => _accounts.Values.Select(e => e.State);

    public AccountState? Find(string id) => _accounts.TryGetValue(id, out var e) ? e.State : null;

    /// <summary>Unused tokens of an account, or of the global budget.</summary>
    public long Unused(string id) => id == Global ? GlobalBudget - GlobalAllocated : Get(id).State.Unused;

    public void SetBudget(long budget)
    {
        if (budget < GlobalAllocated) throw new InvalidOperationException("budget below what is allocated");
        var before = Unused(Global);
        GlobalBudgetDelta += budget - GlobalBudget;
        GlobalBudget = budget;
        _movements.Add(new Movement(Global, "budget", Math.Abs(Unused(Global) - before), before, Unused(Global), null));
    }

    /// <summary>Moves <paramref name="amount"/> from a source's unused tokens into an account's allocation.</summary>
    public void Allocate(string id, string source, long amount, string? reference)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        if (amount > Unused(source)) throw new InvalidOperationException($"{source} cannot fund {amount}");
        if (!_accounts.TryGetValue(id, out var entry))
            _accounts[id] = entry = new Entry(new AccountState(id, source, 0, 0, 0, 0), isNew: true);
        var globalLot = entry.State.Source != source && source == Global && !entry.State.IsPool;
        if (entry.State.Source != source && !globalLot) throw new InvalidOperationException($"{id} is funded by {entry.State.Source}, not {source}");
        ChangeSource(source, +amount, "allocation", id);
        Change(entry, +amount, 0, "allocation", amount, reference ?? source, globalLotDelta: globalLot ? amount : 0);
        entry.Touched = true;
        // An allocation reopens a returned account.
        entry.Returned = false;
        entry.State = entry.State with { ReturnedAt = null };
    }

    /// <summary>A pool whose cycle ended: it was returned and nothing reopened it.</summary>
    public bool IsClosed(string id) => id != Global && Get(id) is var e && (e.Returned || e.State.ReturnedAt is not null);

    /// <summary>
    /// Why <paramref name="id"/> cannot move to <paramref name="source"/>, or null when it can: an agent account with
    /// nothing reserved whose source is the global budget or a closed pool. An open pool keeps its agents, so a running
    /// cycle never loses one to an allocation from elsewhere.
    /// </summary>
    public string? RehomeRefusal(string id, string source)
    {
        var s = Get(id).State;
        if (s.Source == source) return null;
        if (s.IsPool || s.Suballocated != 0) return $"{id} is a pool funded by {s.Source}";
        if (s.Reserved != 0) return $"{id} is funded by {s.Source} and has {s.Reserved} tokens reserved; settle or release them first";
        if (s.Source != Global && !IsClosed(s.Source)) return $"{id} is funded by {s.Source}, which is still open: allocate from there";
        return null;
    }

    /// <summary>
    /// Whether a global allocation to <paramref name="id"/> adds a global lot instead of moving the account: an agent of
    /// a pool that is still open (an emergency allocation during a running cycle keeps the agent in its cycle).
    /// </summary>
    public bool AddsGlobalLot(string id, string source) =>
        source == Global && Find(id) is { } s && s.Source != Global && !s.IsPool && !IsClosed(s.Source);

    /// <summary>
    /// Moves an account to another source. Its unused tokens go back where they came from first (a closed pool passes
    /// them on to the global budget); what is left is consumed, and its funding moves with the account (the old pool
    /// hands it back, the new pool takes it on), so no source's unused tokens change and every pool still covers
    /// exactly its accounts. The account keeps its history: consumed, value, efficiency.
    /// </summary>
    public void Rehome(string id, string source)
    {
        if (RehomeRefusal(id, source) is { } refusal) throw new InvalidOperationException(refusal);
        var entry = Get(id);
        var old = entry.State.Source;
        if (old == source) return;
        if (source != Global && Get(source).State.Source != Global) throw new InvalidOperationException($"{source} is not funded by the global budget");
        var fromSource = entry.State.SourceUnused;
        ReturnToSource(id, entry.State.Unused, "refund");
        if (old != Global) ReturnToSource(old, fromSource, "refund");
        // What the global lot funded stays the global budget's; the old source's part moves with the account.
        var carried = entry.State.SourceLot;
        if (carried > 0)
        {
            if (old != Global) Change(Get(old), -carried, -carried, "rehome", carried, id);
            if (source != Global) Change(Get(source), +carried, +carried, "rehome", carried, id);
        }
        _movements.Add(new Movement(id, "rehome", carried, entry.State.Unused, entry.State.Unused, source));
        if (source == Global) Change(entry, 0, 0, null, 0, null, globalLotDelta: -entry.State.GlobalLot);
        entry.State = entry.State with { Source = source };
        entry.SourceChanged = true;
    }

    /// <summary>
    /// Gives <paramref name="amount"/> of an account's unused allocation back to where it came from: the global lot's
    /// unused tokens to the global budget first, the rest to the account's source. Each return is its own ledger row.
    /// Returns what went to the global budget and what to the source.
    /// </summary>
    public (long ToGlobal, long ToSource) ReturnToSource(string id, long amount, string type)
    {
        var entry = Get(id);
        if (amount <= 0) return (0, 0);
        if (amount > entry.State.Unused) throw new InvalidOperationException($"{id} has only {entry.State.Unused} unused");
        var toGlobal = Math.Min(amount, entry.State.GlobalUnused);
        if (toGlobal > 0)
        {
            Change(entry, -toGlobal, 0, type, toGlobal, Global, globalLotDelta: -toGlobal);
            ChangeSource(Global, -toGlobal, type, id);
        }
        var toSource = amount - toGlobal;
        if (toSource <= 0) return (toGlobal, 0);
        Change(entry, -toSource, 0, type, toSource, entry.State.Source);
        ChangeSource(entry.State.Source, -toSource, type, id);
        return (toGlobal, toSource);
    }

    /// <summary>Moves unused allocation of the source's lot between two accounts of the same source (rebalance).</summary>
    public void Transfer(string from, string to, long amount)
    {
        var a = Get(from);
        var b = Get(to);
        if (a.State.Source != b.State.Source) throw new InvalidOperationException("transfers stay within one source");
        if (amount <= 0 || amount > a.State.SourceUnused) throw new InvalidOperationException($"{from} cannot give {amount}");
        Change(a, -amount, 0, "reallocation", amount, to);
        Change(b, +amount, 0, "reallocation", amount, from);
    }

    public void MarkReturned(string id) => Get(id).Returned = true;

    public void SetDecayHours(string id, int hours)
    {
        var e = Get(id);
        if (e.State.DecayHoursApplied == hours) return;
        e.State = e.State with { DecayHoursApplied = hours };
        e.DecayHours = hours;
    }

    private void ChangeSource(string source, long allocatedDelta, string type, string counterpart)
    {
        if (source == Global)
        {
            var before = Unused(Global);
            GlobalAllocated += allocatedDelta;
            GlobalAllocatedDelta += allocatedDelta;
            if (GlobalAllocated < 0 || GlobalAllocated > GlobalBudget) throw new InvalidOperationException("global allocation out of range");
            _movements.Add(new Movement(Global, type, Math.Abs(allocatedDelta), before, Unused(Global), counterpart));
        }
        else
        {
            Change(Get(source), 0, allocatedDelta, type, Math.Abs(allocatedDelta), counterpart);
        }
    }

    /// <summary>Applies deltas to an account and, with a <paramref name="type"/>, records the ledger movement.</summary>
    private void Change(Entry entry, long allocatedDelta, long suballocatedDelta, string? type, long amount, string? reference, long globalLotDelta = 0)
    {
        var before = entry.State.Unused;
        entry.State = entry.State with
        {
            Allocated = entry.State.Allocated + allocatedDelta,
            Suballocated = entry.State.Suballocated + suballocatedDelta,
            GlobalLot = entry.State.GlobalLot + globalLotDelta,
        };
        entry.AllocatedDelta += allocatedDelta;
        entry.SuballocatedDelta += suballocatedDelta;
        entry.GlobalLotDelta += globalLotDelta;
        var s = entry.State;
        if (s.Allocated < 0 || s.Suballocated < 0 || s.Unused < 0)
            throw new InvalidOperationException($"{s.AccountId} would be overspent");
        if (s.GlobalLot < 0 || s.GlobalLot > s.Allocated || (s.GlobalLot > 0 && s.Source == Global))
            throw new InvalidOperationException($"{s.AccountId}: global lot {s.GlobalLot} out of range");
        if (type is not null) _movements.Add(new Movement(s.AccountId, type, amount, before, s.Unused, reference));
    }

    private Entry Get(string id) => _accounts.TryGetValue(id, out var e) ? e : throw new KeyNotFoundException(id);

    public sealed class Entry(AccountState state, bool isNew)
    {
        public AccountState State { get; set; } = state;
        public bool IsNew { get; } = isNew;
        public long AllocatedDelta { get; set; }
        public long SuballocatedDelta { get; set; }
        public long GlobalLotDelta { get; set; }
        public bool Touched { get; set; }
        public bool Returned { get; set; }
        public bool SourceChanged { get; set; }
        public int? DecayHours { get; set; }
        public bool Changed => IsNew || AllocatedDelta != 0 || SuballocatedDelta != 0 || GlobalLotDelta != 0 || Touched || Returned || SourceChanged || DecayHours is not null;
    }
}
