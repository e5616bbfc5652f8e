using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Dean.Tests.Infrastructure;

namespace Dean.Tests.Economy;

[Collection(DeanAppCollection.Name)]
public sealed class EconomyApiTests(DeanAppFixture fx)
{
    private readonly EconomyKit _kit = new(fx);

    [Fact]
    public async Task Allocate_reserve_settle_release_round_trip()
    {
        await _kit.EnsureHeadroomAsync();
        var agent = EconomyKit.NewId();
        var allocation = await _kit.AllocateAsync(agent, 5_000);
        Assert.Equal(5_000, allocation.GetProperty("allocated_tokens").GetInt64());
        Assert.Equal(5_000, allocation.GetProperty("requested_tokens").GetInt64());
        Assert.Equal(agent, allocation.GetProperty("agent_id").GetString());
        Assert.True(allocation.GetProperty("allocation_id").GetInt64() > 0);
        Assert.True(allocation.GetProperty("remaining_budget").GetInt64() >= 0);

        var op = await _kit.OperatorAsync();
        var (status, reservation) = await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = agent, tokens = 1_000, idempotency_key = EconomyKit.NewId("k") });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(1_000, reservation.GetProperty("tokens").GetInt64());
        Assert.True(reservation.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(4));
        var reservationId = reservation.GetProperty("reservation_id").GetGuid();

        var during = await _kit.AgentAsync(agent);
        Assert.Equal(1_000, during.GetProperty("reserved").GetInt64());
        Assert.Equal(4_000, during.GetProperty("remaining").GetInt64());
        Assert.Equal("active", during.GetProperty("status").GetString());

        var (settleStatus, settled) = await EconomyKit.PostAsync(op, "/api/v1/economy/settle",
            new { reservation_id = reservationId, actual_tokens = 700, value = 1.4, idempotency_key = EconomyKit.NewId("k") });
        Assert.Equal(HttpStatusCode.OK, settleStatus);
        Assert.Equal(700, settled.GetProperty("charged").GetInt64());
        Assert.Equal(300, settled.GetProperty("released").GetInt64());
        Assert.Equal(4_300, settled.GetProperty("agent_remaining").GetInt64());

        var after = await _kit.AgentAsync(agent);
        Assert.Equal(700, after.GetProperty("consumed").GetInt64());
        Assert.Equal(0, after.GetProperty("reserved").GetInt64());
        Assert.Equal(2.0, after.GetProperty("efficiency").GetDouble(), 6); // 1.4 value per 700 tokens = 2 per 1,000

        // Settling again (new key) is refused: the reservation is closed.
        var (again, problem) = await EconomyKit.PostAsync(op, "/api/v1/economy/settle", new { reservation_id = reservationId, actual_tokens = 1, idempotency_key = EconomyKit.NewId("k") });
        Assert.Equal(HttpStatusCode.Conflict, again);
        Assert.Equal("reservation_closed", problem.GetProperty("type").GetString());

        var (_, second) = await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = agent, tokens = 500, idempotency_key = EconomyKit.NewId("k") });
        var (releaseStatus, released) = await EconomyKit.PostAsync(op, "/api/v1/economy/release", new { reservation_id = second.GetProperty("reservation_id").GetGuid() });
        Assert.Equal(HttpStatusCode.OK, releaseStatus);
        Assert.Equal(500, released.GetProperty("released").GetInt64());
        Assert.Equal(0, released.GetProperty("charged").GetInt64());
        Assert.Equal(4_300, released.GetProperty("agent_remaining").GetInt64());

        var ledger = await (await _kit.ViewerAsync()).GetFromJsonAsync<JsonElement>($"/api/v1/economy/transactions?agent_id={agent}&limit=10");
        var types = ledger.GetProperty("transactions").EnumerateArray().Select(t => t.GetProperty("type").GetString()).ToList();
        Assert.Equal(["release", "reservation", "settlement", "reservation", "allocation"], types);
        var first = ledger.GetProperty("transactions").EnumerateArray().Last();
        Assert.Equal(0, first.GetProperty("balance_before").GetInt64());
        Assert.Equal(5_000, first.GetProperty("balance_after").GetInt64());
        await _kit.AssertInvariantsAsync();
    }

    [Fact]
    public async Task Settlement_charges_at_most_what_was_reserved()
    {
        await _kit.EnsureHeadroomAsync();
        var agent = EconomyKit.NewId();
        await _kit.AllocateAsync(agent, 1_000);
        var op = await _kit.OperatorAsync();
        var (_, reservation) = await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = agent, tokens = 400, idempotency_key = EconomyKit.NewId("k") });
        var (status, settled) = await EconomyKit.PostAsync(op, "/api/v1/economy/settle",
            new { reservation_id = reservation.GetProperty("reservation_id").GetGuid(), actual_tokens = 900, idempotency_key = EconomyKit.NewId("k") });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(400, settled.GetProperty("charged").GetInt64());
        Assert.Equal(0, settled.GetProperty("released").GetInt64());
        Assert.Equal(400, (await _kit.AgentAsync(agent)).GetProperty("consumed").GetInt64());
    }

    [Fact]
    public async Task Replaying_a_key_returns_the_first_answer_and_changes_nothing()
    {
        await _kit.EnsureHeadroomAsync();
        var agent = EconomyKit.NewId();
        var op = await _kit.OperatorAsync();
        var allocateKey = EconomyKit.NewId("k");
        var allocate = new { agent_id = agent, requested_tokens = 2_000, priority = "normal", idempotency_key = allocateKey };
        var firstAllocation = await EconomyKit.PostRawAsync(op, "/api/v1/economy/allocate", allocate);
        var state = await _kit.StateFingerprintAsync();
        Assert.Equal(firstAllocation, await EconomyKit.PostRawAsync(op, "/api/v1/economy/allocate", allocate));
        Assert.Equal(state, await _kit.StateFingerprintAsync());

        var reserve = new { agent_id = agent, tokens = 300, idempotency_key = EconomyKit.NewId("k") };
        var firstReserve = await EconomyKit.PostRawAsync(op, "/api/v1/economy/reserve", reserve);
        Assert.Equal(HttpStatusCode.Created, firstReserve.Status);
        state = await _kit.StateFingerprintAsync();
        Assert.Equal(firstReserve, await EconomyKit.PostRawAsync(op, "/api/v1/economy/reserve", reserve));
        Assert.Equal(state, await _kit.StateFingerprintAsync());

        var rid = JsonDocument.Parse(firstReserve.Body).RootElement.GetProperty("reservation_id").GetGuid();
        var settle = new { reservation_id = rid, actual_tokens = 100, idempotency_key = EconomyKit.NewId("k") };
        var firstSettle = await EconomyKit.PostRawAsync(op, "/api/v1/economy/settle", settle);
        Assert.Equal(HttpStatusCode.OK, firstSettle.Status);
        state = await _kit.StateFingerprintAsync();
        Assert.Equal(firstSettle, await EconomyKit.PostRawAsync(op, "/api/v1/economy/settle", settle));
        Assert.Equal(state, await _kit.StateFingerprintAsync());

        // A refusal is remembered too: the same key keeps answering 409 even after the agent could afford it.
        var tooMuch = new { agent_id = agent, tokens = 1_000_000, idempotency_key = EconomyKit.NewId("k") };
        var refused = await EconomyKit.PostRawAsync(op, "/api/v1/economy/reserve", tooMuch);
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal(refused, await EconomyKit.PostRawAsync(op, "/api/v1/economy/reserve", tooMuch));

        // Concurrent duplicates: exactly one reservation is taken.
        var concurrentKey = EconomyKit.NewId("k");
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            EconomyKit.PostRawAsync(op, "/api/v1/economy/reserve", new { agent_id = agent, tokens = 10, idempotency_key = concurrentKey })));
        Assert.Single(answers.Distinct());
        Assert.Equal(10, (await _kit.AgentAsync(agent)).GetProperty("reserved").GetInt64());

        // The same key for another operation is a conflict, not a replay.
        var (reused, problem) = await EconomyKit.PostAsync(op, "/api/v1/economy/allocate",
            new { agent_id = agent, requested_tokens = 5, priority = "normal", idempotency_key = concurrentKey });
        Assert.Equal(HttpStatusCode.Conflict, reused);
        Assert.Equal("idempotency_key_reused", problem.GetProperty("type").GetString());
        await _kit.AssertInvariantsAsync();
    }

    [Fact]
    public async Task An_emergency_allocation_to_an_agent_of_a_running_cycle_adds_a_global_lot_that_is_spent_last_and_goes_back_to_the_global_budget()
    {
        await _kit.EnsureHeadroomAsync();
        var pool = EconomyKit.NewId("cycle:");
        var agent = EconomyKit.NewId();
        await _kit.AllocateAsync(pool, 5_000);
        await _kit.AllocateAsync(agent, 4_000, from: pool);
        var viewer = await _kit.ViewerAsync();
        long GlobalAllocated(JsonElement budget) => budget.GetProperty("allocated").GetInt64();
        var before = GlobalAllocated(await viewer.GetFromJsonAsync<JsonElement>("/api/v1/economy/budget"));

        // The runbook's emergency line, while the agent's cycle (its pool) is open.
        var op = await _kit.OperatorAsync();
        var (status, emergency) = await EconomyKit.PostAsync(op, "/api/v1/economy/allocate", new { agent_id = agent, requested_tokens = 3_000, priority = "high" });
        Assert.True(status == HttpStatusCode.OK, emergency.ToString());
        Assert.Equal(("global", 3_000L, 7_000L), (emergency.GetProperty("source").GetString(), emergency.GetProperty("allocated_tokens").GetInt64(),
            emergency.GetProperty("agent_allocated").GetInt64()));
        var account = await _kit.AgentAsync(agent);
        Assert.Equal(pool, account.GetProperty("source").GetString());
        Assert.Equal(new Dictionary<string, long> { [pool] = 4_000, ["global"] = 3_000 }, Lots(account));
        Assert.Equal(before + 3_000, GlobalAllocated(await viewer.GetFromJsonAsync<JsonElement>("/api/v1/economy/budget")));
        Assert.Equal(1_000, (await _kit.AgentAsync(pool)).GetProperty("remaining").GetInt64()); // the pool gave nothing more
        var ledger = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/economy/transactions?agent_id={Uri.EscapeDataString(agent)}&limit=1");
        var row = ledger.GetProperty("transactions")[0];
        Assert.Equal(("allocation", 3_000L, "global"), (row.GetProperty("type").GetString(), row.GetProperty("amount").GetInt64(), row.GetProperty("reference").GetString()));
        await _kit.AssertInvariantsAsync();

        // 5,000 spent: the pool's 4,000 first, then 1,000 of the global lot; what is left (2,000) is the global lot's.
        var (_, r) = await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = agent, tokens = 5_000, idempotency_key = EconomyKit.NewId("k") });
        await EconomyKit.PostAsync(op, "/api/v1/economy/settle", new { reservation_id = r.GetProperty("reservation_id").GetGuid(), actual_tokens = 5_000, idempotency_key = EconomyKit.NewId("k") });
        var (returnStatus, returned) = await EconomyKit.PostAsync(op, "/api/v1/economy/return", new { agent_id = agent, to = pool, idempotency_key = EconomyKit.NewId("k") });
        Assert.Equal(HttpStatusCode.OK, returnStatus);
        Assert.Equal(2_000, returned.GetProperty("returned").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["global"] = 2_000 }, returned.GetProperty("returned_to").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()));
        Assert.Equal(before + 1_000, GlobalAllocated(await viewer.GetFromJsonAsync<JsonElement>("/api/v1/economy/budget")));
        Assert.Equal(1_000, (await _kit.AgentAsync(pool)).GetProperty("remaining").GetInt64());
        await _kit.AssertInvariantsAsync();

        // The cycle ends: the pool's unused 1,000 go back; the agent's consumed 5,000 stay allocated, 4,000 through the pool.
        await EconomyKit.PostAsync(op, "/api/v1/economy/return", new { agent_id = pool });
        Assert.Equal(before, GlobalAllocated(await viewer.GetFromJsonAsync<JsonElement>("/api/v1/economy/budget")));
        await _kit.AssertInvariantsAsync();
    }

    private static Dictionary<string, long> Lots(JsonElement account) =>
        account.GetProperty("lots").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());

    [Fact]
    public async Task Cycle_pools_fund_their_agents_and_take_back_what_is_returned()
    {
        await _kit.EnsureHeadroomAsync();
        var pool = EconomyKit.NewId("cycle:");
        var agent = EconomyKit.NewId();
        await _kit.AllocateAsync(pool, 10_000);
        var globalBefore = (await (await _kit.ViewerAsync()).GetFromJsonAsync<JsonElement>("/api/v1/economy/budget")).GetProperty("allocated").GetInt64();

        var fromPool = await _kit.AllocateAsync(agent, 6_000, from: pool);
        Assert.Equal(pool, fromPool.GetProperty("source").GetString());
        Assert.Equal(4_000, fromPool.GetProperty("remaining_budget").GetInt64());
        var budgetAfter = await (await _kit.ViewerAsync()).GetFromJsonAsync<JsonElement>("/api/v1/economy/budget");
        Assert.Equal(globalBefore, budgetAfter.GetProperty("allocated").GetInt64()); // nothing drawn from the global budget

        // The pool cannot give more than it has left: normal gets 4,000 of 40,000 (10%), low nothing.
        var op = await _kit.OperatorAsync();
        var (lowStatus, low) = await EconomyKit.PostAsync(op, "/api/v1/economy/allocate", new { agent_id = agent, requested_tokens = 40_001, priority = "low", from = pool });
        Assert.Equal(HttpStatusCode.Conflict, lowStatus);
        Assert.Equal("budget_exceeded", low.GetProperty("type").GetString());
        var (partialStatus, partial) = await EconomyKit.PostAsync(op, "/api/v1/economy/allocate", new { agent_id = agent, requested_tokens = 40_000, priority = "normal", from = pool });
        Assert.Equal(HttpStatusCode.OK, partialStatus);
        Assert.Equal(4_000, partial.GetProperty("allocated_tokens").GetInt64());
        Assert.Equal(0, (await _kit.AgentAsync(pool)).GetProperty("remaining").GetInt64());

        // Funded by the pool, the agent cannot draw from another pool.
        var otherPool = EconomyKit.NewId("cycle:");
        await _kit.AllocateAsync(otherPool, 100);
        var (mismatch, problem) = await EconomyKit.PostAsync(op, "/api/v1/economy/allocate", new { agent_id = agent, requested_tokens = 10, priority = "normal", from = otherPool });
        Assert.Equal(HttpStatusCode.Conflict, mismatch);
        Assert.Equal("source_mismatch", problem.GetProperty("type").GetString());
        await EconomyKit.PostAsync(op, "/api/v1/economy/return", new { agent_id = otherPool });

        var (_, r) = await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = agent, tokens = 2_500, idempotency_key = EconomyKit.NewId("k") });
        await EconomyKit.PostAsync(op, "/api/v1/economy/settle", new { reservation_id = r.GetProperty("reservation_id").GetGuid(), actual_tokens = 2_500, idempotency_key = EconomyKit.NewId("k") });

        var (returnStatus, returned) = await EconomyKit.PostAsync(op, "/api/v1/economy/return", new { agent_id = agent, to = pool, idempotency_key = EconomyKit.NewId("k") });
        Assert.Equal(HttpStatusCode.OK, returnStatus);
        Assert.Equal(7_500, returned.GetProperty("returned").GetInt64());
        Assert.Equal(pool, returned.GetProperty("to").GetString());
        var poolAccount = await _kit.AgentAsync(pool);
        Assert.Equal(7_500, poolAccount.GetProperty("remaining").GetInt64());
        Assert.Equal(2_500, poolAccount.GetProperty("suballocated").GetInt64());
        Assert.Equal("returned", (await _kit.AgentAsync(agent)).GetProperty("status").GetString());

        // Ending the cycle gives its unused budget back to the global pool.
        var (_, poolReturn) = await EconomyKit.PostAsync(op, "/api/v1/economy/return", new { agent_id = pool });
        Assert.Equal(7_500, poolReturn.GetProperty("returned").GetInt64());
        Assert.Equal("global", poolReturn.GetProperty("to").GetString());
        var budgetEnd = await (await _kit.ViewerAsync()).GetFromJsonAsync<JsonElement>("/api/v1/economy/budget");
        Assert.Equal(globalBefore - 7_500, budgetEnd.GetProperty("allocated").GetInt64());
        await _kit.AssertInvariantsAsync();

        // The pool is closed now: a global allocation moves the agent to the global budget, carrying its consumed 2,500.
        var (rehomeStatus, rehomed) = await EconomyKit.PostAsync(op, "/api/v1/economy/allocate", new { agent_id = agent, requested_tokens = 1_000, priority = "normal" });
        Assert.Equal(HttpStatusCode.OK, rehomeStatus);
        Assert.Equal("global", rehomed.GetProperty("source").GetString());
        var moved = await _kit.AgentAsync(agent);
        Assert.Equal(("global", 3_500L, 2_500L, 1_000L), (moved.GetProperty("source").GetString(), moved.GetProperty("allocated").GetInt64(),
            moved.GetProperty("consumed").GetInt64(), moved.GetProperty("remaining").GetInt64()));
        var closedPool = await _kit.AgentAsync(pool);
        Assert.Equal((0L, 0L), (closedPool.GetProperty("suballocated").GetInt64(), closedPool.GetProperty("remaining").GetInt64()));
        var budgetRehomed = await (await _kit.ViewerAsync()).GetFromJsonAsync<JsonElement>("/api/v1/economy/budget");
        Assert.Equal(globalBefore - 7_500 + 1_000, budgetRehomed.GetProperty("allocated").GetInt64());
        var history = await (await _kit.ViewerAsync()).GetFromJsonAsync<JsonElement>($"/api/v1/economy/transactions?agent_id={Uri.EscapeDataString(agent)}&limit=2");
        Assert.Equal(["allocation", "rehome"], history.GetProperty("transactions").EnumerateArray().Select(t => t.GetProperty("type").GetString()));
        await _kit.AssertInvariantsAsync();
    }

    [Fact]
    public async Task Budget_reports_and_admin_sets_it()
    {
        var admin = await _kit.AdminAsync();
        await _kit.EnsureHeadroomAsync();
        var budget = await admin.GetFromJsonAsync<JsonElement>("/api/v1/economy/budget");
        foreach (var field in new[] { "global_budget", "allocated", "consumed", "reserved", "available", "reserve", "agents_count", "efficiency_score", "last_reset" })
            Assert.True(budget.TryGetProperty(field, out _), field);
        var b = budget.GetProperty("global_budget").GetInt64();
        var allocated = budget.GetProperty("allocated").GetInt64();
        Assert.Equal(b / 10, budget.GetProperty("reserve").GetInt64());
        Assert.Equal(Math.Max(0, b - allocated - b / 10), budget.GetProperty("available").GetInt64());

        // Operators may not set the budget; below what is allocated is refused; reset returns unused allocations.
        using var forbidden = await (await _kit.OperatorAsync()).PutAsJsonAsync("/api/v1/economy/budget", new { new_budget = b + 1 });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        var agent = EconomyKit.NewId();
        await _kit.AllocateAsync(agent, 1_000);
        using var tooLow = await admin.PutAsJsonAsync("/api/v1/economy/budget", new { new_budget = 1, reset_allocations = false });
        Assert.Equal(HttpStatusCode.Conflict, tooLow.StatusCode);
        using var bad = await admin.PutAsJsonAsync("/api/v1/economy/budget", new { new_budget = -5 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var op = await _kit.OperatorAsync();
        var (_, r) = await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = agent, tokens = 100, idempotency_key = EconomyKit.NewId("k") });
        using var reset = await admin.PutAsJsonAsync("/api/v1/economy/budget", new { new_budget = b + 5, reset_allocations = true });
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        var afterReset = await reset.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(b + 5, afterReset.GetProperty("global_budget").GetInt64());
        Assert.True(afterReset.GetProperty("last_reset").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));
        var account = await _kit.AgentAsync(agent);
        Assert.Equal(100, account.GetProperty("allocated").GetInt64()); // only the reservation stays allocated
        Assert.Equal(0, account.GetProperty("remaining").GetInt64());
        await EconomyKit.PostAsync(op, "/api/v1/economy/release", new { reservation_id = r.GetProperty("reservation_id").GetGuid() });
        await _kit.AssertInvariantsAsync();
    }

    [Fact]
    public async Task Reservations_expire_and_come_back()
    {
        await _kit.EnsureHeadroomAsync();
        var agent = EconomyKit.NewId();
        await _kit.AllocateAsync(agent, 1_000);
        var op = await _kit.OperatorAsync();
        var (status, r) = await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = agent, tokens = 600, idempotency_key = EconomyKit.NewId("k"), ttl_seconds = 1 });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(600, (await _kit.AgentAsync(agent)).GetProperty("reserved").GetInt64());
        await Task.Delay(1_500);
        var (expireStatus, expired) = await EconomyKit.PostAsync(op, "/api/v1/economy/reservations/expire", new { });
        Assert.Equal(HttpStatusCode.OK, expireStatus);
        var rid = r.GetProperty("reservation_id").GetGuid();
        var account = await _kit.AgentAsync(agent);
        // The background sweep may have got there first; either way the tokens are back.
        Assert.Equal(0, account.GetProperty("reserved").GetInt64());
        Assert.Equal(1_000, account.GetProperty("remaining").GetInt64());
        Assert.Equal(expired.GetProperty("expired").GetInt32(), expired.GetProperty("reservation_ids").GetArrayLength());
        var (settleStatus, _) = await EconomyKit.PostAsync(op, "/api/v1/economy/settle", new { reservation_id = rid, actual_tokens = 10, idempotency_key = EconomyKit.NewId("k") });
        Assert.Equal(HttpStatusCode.Conflict, settleStatus);
        var view = await (await _kit.ViewerAsync()).GetFromJsonAsync<JsonElement>($"/api/v1/economy/reservations/{rid}");
        Assert.Equal("expired", view.GetProperty("status").GetString());
        Assert.Equal(agent, view.GetProperty("agent_id").GetString());
        Assert.Equal(0, view.GetProperty("charged").GetInt64());
        using var missing = await (await _kit.ViewerAsync()).GetAsync($"/api/v1/economy/reservations/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Decay_shrinks_idle_agents_once_per_idle_hour()
    {
        await _kit.EnsureHeadroomAsync();
        var idle = EconomyKit.NewId();
        var busy = EconomyKit.NewId();
        await _kit.AllocateAsync(idle, 10_000);
        await _kit.AllocateAsync(busy, 10_000);
        await using (var c = await _kit.OpenAsync())
            await c.ExecuteAsync("UPDATE economy_accounts SET last_activity_at = now() - interval '2 hours 10 minutes' WHERE account_id = @idle", new { idle });

        var op = await _kit.OperatorAsync();
        var (status, decay) = await EconomyKit.PostAsync(op, "/api/v1/economy/decay", new { idempotency_key = EconomyKit.NewId("k") });
        Assert.Equal(HttpStatusCode.OK, status);
        var mine = decay.GetProperty("decayed").EnumerateArray().Single(d => d.GetProperty("agent_id").GetString() == idle);
        Assert.Equal(10_000 - 9_025, mine.GetProperty("amount").GetInt64()); // two idle hours: 10,000 × 0.95²
        Assert.Equal(2, mine.GetProperty("idle_hours").GetInt32());
        Assert.DoesNotContain(decay.GetProperty("decayed").EnumerateArray(), d => d.GetProperty("agent_id").GetString() == busy);
        Assert.Equal(9_025, (await _kit.AgentAsync(idle)).GetProperty("allocated").GetInt64());

        // Running again within the same idle hour takes nothing more.
        var (_, again) = await EconomyKit.PostAsync(op, "/api/v1/economy/decay", new { });
        Assert.DoesNotContain(again.GetProperty("decayed").EnumerateArray(), d => d.GetProperty("agent_id").GetString() == idle);
        Assert.Equal(9_025, (await _kit.AgentAsync(idle)).GetProperty("allocated").GetInt64());
        await _kit.AssertInvariantsAsync();
    }

    [Fact]
    public async Task Rebalance_moves_from_the_least_to_the_most_efficient_within_a_pool()
    {
        await _kit.EnsureHeadroomAsync();
        var pool = EconomyKit.NewId("cycle:");
        await _kit.AllocateAsync(pool, 60_000);
        var agents = Enumerable.Range(0, 5).Select(i => $"{EconomyKit.NewId()}-{i}").ToList();
        var op = await _kit.OperatorAsync();
        for (var i = 0; i < agents.Count; i++)
        {
            await _kit.AllocateAsync(agents[i], 10_000, from: pool);
            var (_, r) = await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = agents[i], tokens = 1_000, idempotency_key = EconomyKit.NewId("k") });
            // value i per 1,000 tokens: agent 0 is the least efficient, agent 4 the most.
            await EconomyKit.PostAsync(op, "/api/v1/economy/settle", new { reservation_id = r.GetProperty("reservation_id").GetGuid(), actual_tokens = 1_000, value = (double)i, idempotency_key = EconomyKit.NewId("k") });
        }
        var (status, result) = await EconomyKit.PostAsync(op, "/api/v1/economy/rebalance", new { idempotency_key = EconomyKit.NewId("k") });
        Assert.Equal(HttpStatusCode.OK, status);
        var mine = result.GetProperty("moves").EnumerateArray().Where(m => agents.Contains(m.GetProperty("from").GetString()!)).ToList();
        var move = Assert.Single(mine);
        Assert.Equal(agents[0], move.GetProperty("from").GetString());
        Assert.Equal(agents[4], move.GetProperty("to").GetString());
        Assert.Equal(1_800, move.GetProperty("amount").GetInt64()); // 20% of 9,000 unused
        Assert.Equal(8_200, (await _kit.AgentAsync(agents[0])).GetProperty("allocated").GetInt64());
        Assert.Equal(11_800, (await _kit.AgentAsync(agents[4])).GetProperty("allocated").GetInt64());

        var efficiency = await (await _kit.ViewerAsync()).GetFromJsonAsync<JsonElement>("/api/v1/economy/efficiency");
        Assert.True(efficiency.GetProperty("agents_measured").GetInt32() >= 5);
        await _kit.AssertInvariantsAsync();
    }

    [Fact]
    public async Task Automatic_allocation_scales_with_efficiency_and_is_capped()
    {
        await _kit.EnsureHeadroomAsync();
        var op = await _kit.OperatorAsync();
        var fresh = EconomyKit.NewId();
        var (status, first) = await EconomyKit.PostAsync(op, "/api/v1/economy/allocate", new { agent_id = fresh, base_tokens = 10_000, priority = "normal" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5_000, first.GetProperty("requested_tokens").GetInt64()); // efficiency 0: factor 0.5
        Assert.Equal(5_000, first.GetProperty("allocated_tokens").GetInt64());

        // value 1 per 1,000 tokens: efficiency 1.0, factor 1.5
        var (_, r) = await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = fresh, tokens = 1_000, idempotency_key = EconomyKit.NewId("k") });
        await EconomyKit.PostAsync(op, "/api/v1/economy/settle", new { reservation_id = r.GetProperty("reservation_id").GetGuid(), actual_tokens = 1_000, value = 1.0, idempotency_key = EconomyKit.NewId("k") });
        var (_, second) = await EconomyKit.PostAsync(op, "/api/v1/economy/allocate", new { agent_id = fresh, base_tokens = 10_000, priority = "normal" });
        Assert.Equal(15_000, second.GetProperty("allocated_tokens").GetInt64());
        var (_, capped) = await EconomyKit.PostAsync(op, "/api/v1/economy/allocate", new { agent_id = fresh, base_tokens = 100_000, priority = "normal" });
        Assert.Equal(50_000, capped.GetProperty("allocated_tokens").GetInt64()); // max_tokens_per_agent

        var (both, _) = await EconomyKit.PostAsync(op, "/api/v1/economy/allocate", new { agent_id = fresh, base_tokens = 10, requested_tokens = 10, priority = "normal" });
        Assert.Equal(HttpStatusCode.BadRequest, both);
    }

    [Fact]
    public async Task Usage_reports_allocations_and_consumption()
    {
        await _kit.EnsureHeadroomAsync();
        var agent = EconomyKit.NewId();
        await _kit.AllocateAsync(agent, 3_000);
        var op = await _kit.OperatorAsync();
        var (_, r) = await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = agent, tokens = 800, idempotency_key = EconomyKit.NewId("k") });
        await EconomyKit.PostAsync(op, "/api/v1/economy/settle", new { reservation_id = r.GetProperty("reservation_id").GetGuid(), actual_tokens = 750, idempotency_key = EconomyKit.NewId("k") });
        var usage = await (await _kit.ViewerAsync()).GetFromJsonAsync<JsonElement>("/api/v1/economy/usage?hours=1");
        var row = usage.GetProperty("by_agent").EnumerateArray().Single(a => a.GetProperty("agent_id").GetString() == agent);
        Assert.Equal(3_000, row.GetProperty("allocated").GetInt64());
        Assert.Equal(750, row.GetProperty("consumed").GetInt64());
        Assert.True(usage.GetProperty("total_consumed").GetInt64() >= 750);
        Assert.NotEmpty(usage.GetProperty("by_hour").EnumerateArray());
        using var bad = await (await _kit.ViewerAsync()).GetAsync("/api/v1/economy/usage?hours=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Constraints_are_read_replaced_and_validate_cycles()
    {
        await _kit.EnsureHeadroomAsync();
        var admin = await _kit.AdminAsync();
        var constraints = await (await _kit.ViewerAsync()).GetFromJsonAsync<JsonElement>("/api/v1/evolution/constraints");
        Assert.Equal(0.3, constraints.GetProperty("min_diversity").GetDouble());
        Assert.Equal(100, constraints.GetProperty("max_generations").GetInt32());
        Assert.Equal(10_000, constraints.GetProperty("token_limit_per_generation").GetInt64());
        Assert.Equal(50_000, constraints.GetProperty("max_tokens_per_agent").GetInt64());
        Assert.Equal([0.05, 0.3], constraints.GetProperty("mutation_rate_range").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal([3, 50], constraints.GetProperty("population_size_range").EnumerateArray().Select(e => e.GetInt32()));

        var viewer = await _kit.ViewerAsync();
        var (okStatus, ok) = await EconomyKit.PostAsync(viewer, "/api/v1/evolution/validate", new { population_size = 5, generations = 10, token_budget = 50_000, mutation_rate = 0.1, current_diversity = 0.5 });
        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.True(ok.GetProperty("valid").GetBoolean());
        Assert.Empty(ok.GetProperty("violations").EnumerateArray());
        Assert.Equal(50_000, ok.GetProperty("estimated_tokens").GetInt64());

        var (_, bad) = await EconomyKit.PostAsync(viewer, "/api/v1/evolution/validate", new { population_size = 60, generations = 150, token_budget = 10_000_000, mutation_rate = 0.5, current_diversity = 0.1 });
        Assert.False(bad.GetProperty("valid").GetBoolean());
        var names = bad.GetProperty("violations").EnumerateArray().Select(v => v.GetProperty("constraint").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "population_size_range", "max_generations", "mutation_rate_range", "min_diversity", "max_tokens_per_agent" }, names);
        var generations = bad.GetProperty("violations").EnumerateArray().Single(v => v.GetProperty("constraint").GetString() == "max_generations");
        Assert.Equal(150, generations.GetProperty("value").GetDouble());
        Assert.Equal(100, generations.GetProperty("limit").GetDouble());

        var (badInput, _) = await EconomyKit.PostAsync(viewer, "/api/v1/evolution/validate", new { population_size = 0, generations = 10, token_budget = 5 });
        Assert.Equal(HttpStatusCode.BadRequest, badInput);

        var updated = new { min_diversity = 0.25, max_generations = 200, token_limit_per_generation = 20_000, max_tokens_per_agent = 80_000, mutation_rate_range = new[] { 0.01, 0.4 }, population_size_range = new[] { 2, 64 } };
        using var forbidden = await (await _kit.OperatorAsync()).PutAsJsonAsync("/api/v1/evolution/constraints", updated);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        using var invalid = await admin.PutAsJsonAsync("/api/v1/evolution/constraints", updated with { mutation_rate_range = new[] { 0.5, 0.1 } });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        try
        {
            using var put = await admin.PutAsJsonAsync("/api/v1/evolution/constraints", updated);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var read = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/evolution/constraints");
            Assert.Equal(200, read.GetProperty("max_generations").GetInt32());
            Assert.Equal([2, 64], read.GetProperty("population_size_range").EnumerateArray().Select(e => e.GetInt32()));
        }
        finally
        {
            using var restore = await admin.PutAsJsonAsync("/api/v1/evolution/constraints", new { min_diversity = 0.3, max_generations = 100, token_limit_per_generation = 10_000, max_tokens_per_agent = 50_000, mutation_rate_range = new[] { 0.05, 0.3 }, population_size_range = new[] { 3, 50 } });
            restore.EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task Roles_are_enforced()
    {
        var viewer = await _kit.ViewerAsync();
        var (status, _) = await EconomyKit.PostAsync(viewer, "/api/v1/economy/allocate", new { agent_id = EconomyKit.NewId(), requested_tokens = 5, priority = "normal" });
        Assert.Equal(HttpStatusCode.Forbidden, status);
        var (reserve, _) = await EconomyKit.PostAsync(viewer, "/api/v1/economy/reserve", new { agent_id = "x", tokens = 5, idempotency_key = "k" });
        Assert.Equal(HttpStatusCode.Forbidden, reserve);
        using var anonymous = await fx.Client("economy").GetAsync("/api/v1/economy/budget");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Metrics_are_exported_and_count_movements()
    {
        await _kit.EnsureHeadroomAsync();
        var agent = EconomyKit.NewId();
        await _kit.AllocateAsync(agent, 2_000);
        var op = await _kit.OperatorAsync();
        var (_, r) = await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = agent, tokens = 500, idempotency_key = EconomyKit.NewId("k") });
        await EconomyKit.PostAsync(op, "/api/v1/economy/settle", new { reservation_id = r.GetProperty("reservation_id").GetGuid(), actual_tokens = 321, idempotency_key = EconomyKit.NewId("k") });
        await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = agent, tokens = 1_000_000, idempotency_key = EconomyKit.NewId("k") });

        var metrics = await fx.Client("economy").GetStringAsync("/metrics");
        Assert.Matches($"dean_tokens_consumed_total\\{{[^}}]*agent=\"{agent}\"[^}}]*\\}} 321", metrics);
        Assert.Matches("dean_tokens_allocated_total(\\{[^}]*\\})? [1-9]", metrics);
        Assert.Matches("dean_budget_refusals_total\\{[^}]*reason=\"insufficient_allocation\"[^}]*\\} [1-9]", metrics);
        Assert.Matches("dean_budget_refusals_total\\{[^}]*reason=\"low_priority\"", metrics);
        Assert.Matches("dean_tokens_remaining(\\{[^}]*\\})? -?[0-9]", metrics);
        Assert.Matches("dean_token_reservations_active(\\{[^}]*\\})? [0-9]", metrics);
    }
}
