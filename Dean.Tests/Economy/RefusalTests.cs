using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dean.Tests.Infrastructure;

namespace Dean.Tests.Economy;

/// <summary>Every refusal answers with the right status and ProblemDetails and leaves the ledger and balances exactly as they were.</summary>
[Collection(DeanAppCollection.Name)]
public sealed class RefusalTests(DeanAppFixture fx)
{
    private readonly EconomyKit _kit = new(fx);

    private async Task AssertRefusedAsync(string path, object body, HttpStatusCode expected, string? type = null)
    {
        var before = await _kit.StateFingerprintAsync();
        using var response = await (await _kit.OperatorAsync()).PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{path} {JsonSerializer.Serialize(body)} answered {response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (type is not null) Assert.Equal(type, JsonDocument.Parse(text).RootElement.GetProperty("type").GetString());
        Assert.Equal(before, await _kit.StateFingerprintAsync());
    }

    /// <summary>A budget whose available part is exactly <paramref name="available"/> (reserve 10%).</summary>
    private async Task<long> SetAvailableAsync(long available)
    {
        var admin = await _kit.AdminAsync();
        var allocated = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/economy/budget")).GetProperty("allocated").GetInt64();
        // budget B with B - allocated - B/10 = available  =>  B = (allocated + available) / 0.9, made exact by search
        var b = (long)((allocated + available) / 0.9);
        while (b - allocated - b / 10 < available) b++;
        while (b - allocated - b / 10 > available) b--;
        using var put = await admin.PutAsJsonAsync("/api/v1/economy/budget", new { new_budget = b });
        put.EnsureSuccessStatusCode();
        Assert.Equal(available, (await admin.GetFromJsonAsync<JsonElement>("/api/v1/economy/budget")).GetProperty("available").GetInt64());
        return b / 10;
    }

    [Fact]
    public async Task Allocation_refusals_follow_the_priority_rules()
    {
        var reserve = await SetAvailableAsync(1_000);
        var agent = EconomyKit.NewId();
        await AssertRefusedAsync("/api/v1/economy/allocate", new { agent_id = agent, requested_tokens = 1_001, priority = "low" }, HttpStatusCode.Conflict, "budget_exceeded");
        await AssertRefusedAsync("/api/v1/economy/allocate", new { agent_id = agent, requested_tokens = 10_001, priority = "normal" }, HttpStatusCode.Conflict, "budget_exceeded");
        // high may use half the reserve, critical all of it, but never more than the request's 10% rule allows
        await AssertRefusedAsync("/api/v1/economy/allocate", new { agent_id = agent, requested_tokens = (1_000 + reserve / 2) * 10 + 10, priority = "high" }, HttpStatusCode.Conflict, "budget_exceeded");

        var normal = await _kit.AllocateAsync(agent, 10_000, "normal");
        Assert.Equal(1_000, normal.GetProperty("allocated_tokens").GetInt64()); // exactly 10% of the request
        var critical = await _kit.AllocateAsync(EconomyKit.NewId(), reserve * 5, "critical");
        Assert.Equal(reserve, critical.GetProperty("allocated_tokens").GetInt64()); // critical drains the whole reserve
        await AssertRefusedAsync("/api/v1/economy/allocate", new { agent_id = EconomyKit.NewId(), requested_tokens = 1, priority = "critical" }, HttpStatusCode.Conflict, "budget_exceeded");
        await _kit.EnsureHeadroomAsync();
        await _kit.AssertInvariantsAsync();
    }

    [Fact]
    public async Task Reservation_refusals_leave_everything_unchanged()
    {
        await _kit.EnsureHeadroomAsync();
        var agent = EconomyKit.NewId();
        await _kit.AllocateAsync(agent, 1_000);
        var op = await _kit.OperatorAsync();
        await EconomyKit.PostAsync(op, "/api/v1/economy/reserve", new { agent_id = agent, tokens = 900, idempotency_key = EconomyKit.NewId("k") });

        await AssertRefusedAsync("/api/v1/economy/reserve", new { agent_id = agent, tokens = 101, idempotency_key = EconomyKit.NewId("k") }, HttpStatusCode.Conflict, "budget_exceeded");
        await AssertRefusedAsync("/api/v1/economy/reserve", new { agent_id = EconomyKit.NewId("nobody"), tokens = 1, idempotency_key = EconomyKit.NewId("k") }, HttpStatusCode.NotFound, "not_found");
        await AssertRefusedAsync("/api/v1/economy/settle", new { reservation_id = Guid.NewGuid(), actual_tokens = 1, idempotency_key = EconomyKit.NewId("k") }, HttpStatusCode.NotFound, "not_found");
        await AssertRefusedAsync("/api/v1/economy/release", new { reservation_id = Guid.NewGuid() }, HttpStatusCode.NotFound, "not_found");
        await AssertRefusedAsync("/api/v1/economy/return", new { agent_id = EconomyKit.NewId("nobody") }, HttpStatusCode.NotFound, "not_found");
        await AssertRefusedAsync("/api/v1/economy/allocate", new { agent_id = agent, requested_tokens = 5, priority = "normal", from = EconomyKit.NewId("cycle:") }, HttpStatusCode.NotFound, "not_found");
        using var unknown = await (await _kit.ViewerAsync()).GetAsync($"/api/v1/economy/agents/{EconomyKit.NewId("nobody")}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        await _kit.AssertInvariantsAsync();
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "/api/v1/economy/allocate", """{"agent_id":"a-1","requested_tokens":100,"priority":"urgent"}""" },
        { "/api/v1/economy/allocate", """{"agent_id":"a-1","requested_tokens":100,"priority":"1"}""" },
        { "/api/v1/economy/allocate", """{"agent_id":"a-1","requested_tokens":100}""" },
        { "/api/v1/economy/allocate", """{"agent_id":"a-1","requested_tokens":0,"priority":"normal"}""" },
        { "/api/v1/economy/allocate", """{"agent_id":"a-1","requested_tokens":-5,"priority":"normal"}""" },
        { "/api/v1/economy/allocate", """{"agent_id":"a-1","requested_tokens":"100","priority":"normal"}""" },
        { "/api/v1/economy/allocate", """{"agent_id":"a-1","requested_tokens":1.5,"priority":"normal"}""" },
        { "/api/v1/economy/allocate", """{"agent_id":"","requested_tokens":100,"priority":"normal"}""" },
        { "/api/v1/economy/allocate", """{"agent_id":"global","requested_tokens":100,"priority":"normal"}""" },
        { "/api/v1/economy/allocate", """{"agent_id":"a-1","requested_tokens":100,"priority":"normal","from":"agent-7"}""" },
        { "/api/v1/economy/allocate", """{"agent_id":"a-1","requested_tokens":10000000000000,"priority":"normal"}""" },
        { "/api/v1/economy/reserve", """{"agent_id":"a-1","tokens":100}""" },
        { "/api/v1/economy/reserve", """{"agent_id":"a-1","tokens":0,"idempotency_key":"k1"}""" },
        { "/api/v1/economy/reserve", """{"tokens":10,"idempotency_key":"k1"}""" },
        { "/api/v1/economy/reserve", """{"agent_id":"a-1","tokens":10,"idempotency_key":"k1","ttl_seconds":0}""" },
        { "/api/v1/economy/settle", """{"reservation_id":"not-a-guid","actual_tokens":1,"idempotency_key":"k1"}""" },
        { "/api/v1/economy/settle", """{"reservation_id":"6f1c2c43-2f0a-4b43-9d7c-0d6f3c1e9a10","actual_tokens":-1,"idempotency_key":"k1"}""" },
        { "/api/v1/economy/settle", """{"reservation_id":"6f1c2c43-2f0a-4b43-9d7c-0d6f3c1e9a10","idempotency_key":"k1"}""" },
        { "/api/v1/economy/settle", """{"actual_tokens":1,"idempotency_key":"k1"}""" },
        { "/api/v1/economy/release", """{}""" },
        { "/api/v1/economy/return", """{"agent_id":"a-1","to":"somewhere"}""" },
        { "/api/v1/economy/decay", """{"idempotency_key":""}""" },
        { "/api/v1/economy/allocate", """not json""" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_numbers_and_fields_are_400_and_change_nothing(string path, string json)
    {
        var before = await _kit.StateFingerprintAsync();
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await (await _kit.OperatorAsync()).PostAsync(path, content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await _kit.StateFingerprintAsync());
    }
}
