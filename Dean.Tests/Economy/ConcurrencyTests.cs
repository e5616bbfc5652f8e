using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Dean.Tests.Infrastructure;

namespace Dean.Tests.Economy;

[Collection(DeanAppCollection.Name)]
public sealed class ConcurrencyTests(DeanAppFixture fx)
{
    private readonly EconomyKit _kit = new(fx);

    [Fact]
    public async Task Four_hundred_concurrent_reservations_grant_exactly_one_hundred()
    {
        await _kit.EnsureHeadroomAsync();
        var agent = EconomyKit.NewId();
        await _kit.AllocateAsync(agent, 10_000);
        var op = await _kit.OperatorAsync();
        using var gate = new SemaphoreSlim(0);
        var attempts = Enumerable.Range(0, 400).Select(async i =>
        {
            await gate.WaitAsync();
            return await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = agent, tokens = 100, idempotency_key = $"{agent}-r{i}" });
        }).ToList();
        gate.Release(400);
        var results = await Task.WhenAll(attempts);

        var granted = results.Where(r => r.Status == HttpStatusCode.Created).ToList();
        Assert.Equal(100, granted.Count);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.Created), r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.Status);
            Assert.Equal("budget_exceeded", r.Body.GetProperty("type").GetString());
        });
        var full = await _kit.AgentAsync(agent);
        Assert.Equal(10_000, full.GetProperty("reserved").GetInt64());
        Assert.Equal(0, full.GetProperty("remaining").GetInt64());

        var settlements = await Task.WhenAll(granted.Select(g => EconomyKit.PostAsync(op, "/api/v1/economy/settle",
            new { reservation_id = g.Body.GetProperty("reservation_id").GetGuid(), actual_tokens = 60, idempotency_key = $"{g.Body.GetProperty("reservation_id").GetGuid()}-s" })));
        Assert.All(settlements, s => Assert.Equal(HttpStatusCode.OK, s.Status));

        var after = await _kit.AgentAsync(agent);
        Assert.Equal(6_000, after.GetProperty("consumed").GetInt64());
        Assert.Equal(0, after.GetProperty("reserved").GetInt64());
        Assert.Equal(4_000, after.GetProperty("remaining").GetInt64());
        await using var c = await _kit.OpenAsync();
        Assert.Equal(200, await c.QuerySingleAsync<long>("SELECT count(*) FROM economy_ledger WHERE account_id = @agent AND type IN ('reservation', 'settlement')", new { agent }));
        await _kit.AssertInvariantsAsync();
    }

    [Fact]
    public async Task Concurrent_allocations_never_exceed_the_global_budget()
    {
        var admin = await _kit.AdminAsync();
        var allocated = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/economy/budget")).GetProperty("allocated").GetInt64();
        // 10,000 available beyond the reserve; 50 low-priority requests of 1,000 race for it.
        var budget = (long)Math.Ceiling((allocated + 10_000) / 0.9);
        while (budget - allocated - budget / 10 > 10_000) budget--;
        while (budget - allocated - budget / 10 < 10_000) budget++;
        using (var put = await admin.PutAsJsonAsync("/api/v1/economy/budget", new { new_budget = budget })) put.EnsureSuccessStatusCode();
        var op = await _kit.OperatorAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            EconomyKit.PostAsync(op, "/api/v1/economy/allocate", new { agent_id = EconomyKit.NewId(), requested_tokens = 1_000, priority = "low" })));
        Assert.Equal(10, results.Count(r => r.Status == HttpStatusCode.OK));
        Assert.Equal(40, results.Count(r => r.Status == HttpStatusCode.Conflict));
        await _kit.AssertInvariantsAsync();
        await _kit.EnsureHeadroomAsync();
    }
}
