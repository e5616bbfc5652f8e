using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dean.Tests.Infrastructure;
using Npgsql;

namespace Dean.Tests.Operations;

/// <summary>The runbook's emergency procedures through the running system; each test leaves it usable.</summary>
[Collection(DeanAppCollection.Name)]
public sealed class EmergencyTests(DeanAppFixture fx)
{
    [Fact]
    public async Task Stop_all_ends_every_cycle_pauses_agents_releases_reservations_and_resume_undoes_it()
    {
        var orchestrator = await fx.ClientAsync("orchestrator", "admin");
        var indexAgent = await fx.ClientAsync("indexagent", "operator");
        var economy = await fx.ClientAsync("economy", "operator");

        // A long cycle, running.
        var start = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { population_size = 3, generations = 100, token_budget = 120_000 });
        Assert.True(start.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted or HttpStatusCode.Created, await start.Content.ReadAsStringAsync());
        var cycleId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cycle_id").GetString()!;
        await WaitForAsync(async () => (await CycleAsync(orchestrator, cycleId)).GetProperty("status").GetString() == "running", "cycle running");

        // A free agent with an open reservation.
        var created = await indexAgent.PostAsJsonAsync("/api/v1/agents", new { goal = "emergency", target = "function-minimization", token_budget = 5_000 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var agentId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var reserve = await economy.PostAsJsonAsync("/api/v1/economy/reserve", new { agent_id = agentId, tokens = 1_000, idempotency_key = $"emergency-{Guid.NewGuid():N}", ttl_seconds = 3600 });
        Assert.Equal(HttpStatusCode.Created, reserve.StatusCode);
        var reservationId = (await reserve.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reservation_id").GetString();

        var viewer = await fx.ClientAsync("orchestrator", "operator");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/v1/emergency/stop-all", null)).StatusCode);

        var stop = await orchestrator.PostAsync("/api/v1/emergency/stop-all", null);
        var stopBody = await stop.Content.ReadAsStringAsync();
        Assert.True(stop.StatusCode == HttpStatusCode.OK, stopBody);
        try
        {
            var result = JsonDocument.Parse(stopBody).RootElement;
            Assert.Contains(result.GetProperty("stopped_cycles").EnumerateArray(), c => c.GetProperty("cycle_id").GetString() == cycleId);
            Assert.Empty(result.GetProperty("cycles_still_ending").EnumerateArray());
            Assert.Contains(result.GetProperty("paused_agents").EnumerateArray(), a => a.GetString() == agentId);
            Assert.True(result.GetProperty("released_reservations").GetInt32() >= 1);

            // Nothing running, nothing reserved, nothing active — checked where the truth lives.
            await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Database = "agent_evolution" }.ConnectionString);
            Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM cycles WHERE status IN ('pending', 'running', 'stopping')"));
            Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM economy_reservations WHERE status = 'active'"));
            Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM agents WHERE status = 'active'"));
            Assert.Equal("released", (await economy.GetFromJsonAsync<JsonElement>($"/api/v1/economy/reservations/{reservationId}")).GetProperty("status").GetString());
            Assert.Equal("paused", (await indexAgent.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{agentId}")).GetProperty("status").GetString());

            // While stopped: a paused agent takes no step, and no new cycle starts.
            var step = await indexAgent.PostAsJsonAsync($"/api/v1/agents/{agentId}/evolve", new { });
            Assert.False(step.IsSuccessStatusCode);
            var refused = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { population_size = 3, generations = 1, token_budget = 1_000 });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("emergency", await refused.Content.ReadAsStringAsync());
        }
        finally
        {
            var resume = await orchestrator.PostAsync("/api/v1/emergency/resume", null);
            Assert.True(resume.StatusCode == HttpStatusCode.OK, await resume.Content.ReadAsStringAsync());
            var resumed = await resume.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains(resumed.GetProperty("resumed_agents").EnumerateArray(), a => a.GetString() == agentId);
        }
        Assert.Equal("active", (await indexAgent.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{agentId}")).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await orchestrator.PostAsync("/api/v1/emergency/resume", null)).StatusCode);
        Assert.Equal("stopped", (await CycleAsync(orchestrator, cycleId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Pause_and_resume_refuse_agents_in_the_wrong_state()
    {
        var indexAgent = await fx.ClientAsync("indexagent", "operator");
        Assert.Equal(HttpStatusCode.NotFound, (await indexAgent.PostAsync("/api/v1/agents/agent_999999/pause", null)).StatusCode);
        var created = await indexAgent.PostAsJsonAsync("/api/v1/agents", new { goal = "pause", target = "function-minimization", token_budget = 2_000 });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.Conflict, (await indexAgent.PostAsync($"/api/v1/agents/{id}/resume", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await indexAgent.PostAsync($"/api/v1/agents/{id}/pause", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await indexAgent.PostAsync($"/api/v1/agents/{id}/pause", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await indexAgent.PostAsync($"/api/v1/agents/{id}/resume", null)).StatusCode);
        Assert.Equal("active", (await indexAgent.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}")).GetProperty("status").GetString());
    }

    private static async Task<JsonElement> CycleAsync(HttpClient orchestrator, string id) =>
        await orchestrator.GetFromJsonAsync<JsonElement>($"/api/v1/evolution/{id}/status");

    private static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    internal static async Task WaitForAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(250);
        }
        Assert.Fail($"timed out waiting for {what}");
    }
}
