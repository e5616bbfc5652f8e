using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dean.Tests.Infrastructure;

namespace Dean.Tests.Operations;

[Collection(DeanAppCollection.Name)]
public sealed class KeyRotationTests(DeanAppFixture fx)
{
    [Fact]
    public async Task Rotating_keys_invalidates_every_old_token_on_every_service_while_new_logins_and_service_calls_work()
    {
        var oldToken = await fx.TokenAsync("admin");
        var login = await (await fx.Client("orchestrator").PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password = fx.AdminPassword }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var oldRefresh = login.GetProperty("refresh_token").GetString();
        foreach (var service in DeanAppFixture.Services)
            Assert.Equal(HttpStatusCode.OK, (await fx.Client(service, oldToken).GetAsync("/api/v1/auth/me")).StatusCode);

        Assert.Equal(HttpStatusCode.Forbidden, (await (await fx.ClientAsync("orchestrator", "viewer")).PostAsync("/api/v1/auth/rotate-keys", null)).StatusCode);
        var rotate = await fx.Client("orchestrator", oldToken).PostAsync("/api/v1/auth/rotate-keys", null);
        Assert.Equal(HttpStatusCode.OK, rotate.StatusCode);
        var rotated = await rotate.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(rotated.GetProperty("epoch").GetInt64() >= 1);
        await fx.ForgetTokensAsync();

        // Every service picks the new epoch up within seconds; from then on the old token is refused there.
        foreach (var service in DeanAppFixture.Services)
            await EmergencyTests.WaitForAsync(async () =>
                (await fx.Client(service, oldToken).GetAsync("/api/v1/auth/me")).StatusCode == HttpStatusCode.Unauthorized, $"old token refused by {service}", 20);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await fx.Client("orchestrator").PostAsJsonAsync("/api/v1/auth/refresh", new { refresh_token = oldRefresh })).StatusCode);

        var newToken = await fx.TokenAsync("admin");
        Assert.NotEqual(oldToken, newToken);
        foreach (var service in DeanAppFixture.Services)
            Assert.Equal(HttpStatusCode.OK, (await fx.Client(service, newToken).GetAsync("/api/v1/auth/me")).StatusCode);

        // Service identities re-sign with the new key: the IndexAgent allocates at the Economy, the Orchestrator asks the Economy.
        var created = await fx.Client("indexagent", newToken).PostAsJsonAsync("/api/v1/agents", new { goal = "after rotation", target = "function-minimization", token_budget = 1_000 });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        // The Orchestrator's job calls the Economy (decay, rebalance) with its own identity: the run must succeed.
        var orchestrator = fx.Client("orchestrator", newToken);
        var triggered = await orchestrator.PostAsync("/api/v1/dags/dean_token_economy/dagRuns", null);
        Assert.Equal(HttpStatusCode.OK, triggered.StatusCode);
        var runId = (await triggered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("dag_run_id").GetString();
        string? state = null;
        await EmergencyTests.WaitForAsync(async () =>
        {
            var runs = await orchestrator.GetFromJsonAsync<JsonElement>("/api/v1/dags/dean_token_economy/dagRuns");
            var run = runs.GetProperty("dag_runs").EnumerateArray().FirstOrDefault(r => r.GetProperty("dag_run_id").GetString() == runId);
            state = run.ValueKind == JsonValueKind.Object ? run.GetProperty("state").GetString() : null;
            return state is "success" or "failed";
        }, "dean_token_economy run", 60);
        Assert.Equal("success", state);
    }
}
