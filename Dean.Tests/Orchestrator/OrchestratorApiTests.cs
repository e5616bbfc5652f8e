using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Dean.Tests.Infrastructure;

namespace Dean.Tests.Orchestrator;

[Collection(DeanAppCollection.Name)]
public sealed class OrchestratorApiTests(DeanAppFixture fx)
{
    [Fact]
    public async Task Services_status_reports_every_part_with_latency_and_version()
    {
        var client = await fx.ClientAsync("orchestrator", "viewer");
        var body = await client.GetFromJsonAsync<JsonElement>("/api/v1/services/status");
        var services = body.GetProperty("services");
        foreach (var name in new[] { "indexagent", "economy", "postgres", "redis", "orchestrator" })
        {
            var service = services.GetProperty(name);
            Assert.Equal("healthy", service.GetProperty("status").GetString());
            Assert.True(service.GetProperty("latency_ms").GetDouble() >= 0);
            Assert.False(string.IsNullOrEmpty(service.GetProperty("version").GetString()));
            Assert.True(service.GetProperty("last_check").GetDateTime() > DateTime.UtcNow.AddMinutes(-1));
        }
        Assert.StartsWith("15", services.GetProperty("postgres").GetProperty("version").GetString());
    }

    [Theory]
    [InlineData("{\"generations\": \"five\", \"token_budget\": 1000, \"population_size\": 3}")]
    [InlineData("{\"generations\": 5, \"token_budget\": -1, \"population_size\": 3}")]
    [InlineData("{\"generations\": 5, \"token_budget\": 1000}")]
    [InlineData("{\"generations\": 5, \"token_budget\": 1000, \"population_ids\": []}")]
    [InlineData("{\"generations\": 5, \"token_budget\": 1000, \"population_size\": 3, \"ca_rules\": [110, 42]}")]
    [InlineData("{\"generations\": 5, \"token_budget\": 1000, \"population_size\": 3, \"diversity_threshold\": 2}")]
    [InlineData("{\"generations\": 5, \"token_budget\": 1000, \"population_size\": 3, \"population_ids\": [\"agent_001\"]}")]
    [InlineData("not json")]
    public async Task Start_refuses_malformed_bodies_and_creates_nothing(string body)
    {
        var client = await fx.ClientAsync("orchestrator", "operator");
        var before = await CycleCountAsync(client);
        var response = await client.PostAsync("/api/v1/evolution/start", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await CycleCountAsync(client));
    }

    [Fact]
    public async Task Evolution_routes_need_the_right_role()
    {
        var anonymous = await fx.Client("orchestrator").PostAsJsonAsync("/api/v1/evolution/start", new { generations = 1, token_budget = 10, population_size = 3 });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var viewer = await fx.ClientAsync("orchestrator", "viewer");
        var forbidden = await viewer.PostAsJsonAsync("/api/v1/evolution/start", new { generations = 1, token_budget = 10, population_size = 3 });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/v1/evolution")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync("/api/v1/evolution/cycle_999/status")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/v1/evolution/cycle_999/stop", null)).StatusCode);
    }

    [Fact]
    public async Task Dag_runs_answer_in_airflows_shape_from_hangfire_history()
    {
        var operatorClient = await fx.ClientAsync("orchestrator", "operator");
        var list = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/dags");
        Assert.Contains(list.GetProperty("dags").EnumerateArray(), d => d.GetProperty("dag_id").GetString() == "dean_agent_evolution");

        var run = await RunDagAsync(operatorClient, "dean_agent_evolution");
        Assert.Equal("success", run.GetProperty("state").GetString());
        Assert.True((await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/dags/dean_agent_evolution/dagRuns")).GetProperty("total_entries").GetInt64() >= 1);
        Assert.True(run.GetProperty("end_date").GetDateTime() >= run.GetProperty("start_date").GetDateTime());

        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.GetAsync("/api/v1/dags/no_such_dag/dagRuns")).StatusCode);
        var viewer = await fx.ClientAsync("orchestrator", "viewer");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/v1/dags/dean_agent_evolution/dagRuns", null)).StatusCode);
    }

    [Fact]
    public async Task The_population_manager_run_succeeds_and_leaves_at_least_the_minimum_of_free_active_agents()
    {
        var operatorClient = await fx.ClientAsync("orchestrator", "operator");
        var run = await RunDagAsync(operatorClient, "dean_population_manager");
        Assert.Equal("success", run.GetProperty("state").GetString());

        // The job has work to do whenever fewer than the minimum are free: it spawned them, so now there are enough.
        var indexAgent = await fx.ClientAsync("indexagent", "viewer");
        var active = new List<string>();
        for (var offset = 0; ; offset += 500)
        {
            var page = await indexAgent.GetFromJsonAsync<JsonElement>($"/api/v1/agents?status=active&limit=500&offset={offset}");
            var ids = page.GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("id").GetString()!).ToList();
            active.AddRange(ids);
            if (ids.Count < 500) break;
        }
        var running = (await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/evolution?status=running&limit=500")).GetProperty("cycles").EnumerateArray()
            .SelectMany(c => c.GetProperty("population_ids").EnumerateArray().Select(id => id.GetString())).ToHashSet();
        var minimum = (await (await fx.ClientAsync("economy", "viewer")).GetFromJsonAsync<JsonElement>("/api/v1/evolution/constraints"))
            .GetProperty("population_size_range")[0].GetInt32();
        Assert.True(active.Count(id => !running.Contains(id)) >= minimum, $"{active.Count} active agents, {running.Count} in running cycles, minimum {minimum}");
    }

    /// <summary>Triggers a DAG and waits until its run ends (success or failed; a run awaiting a retry reads running).</summary>
    private static async Task<JsonElement> RunDagAsync(HttpClient client, string dagId)
    {
        var triggered = await client.PostAsync($"/api/v1/dags/{dagId}/dagRuns", null);
        Assert.Equal(HttpStatusCode.OK, triggered.StatusCode);
        var runId = (await triggered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("dag_run_id").GetString();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            var runs = await client.GetFromJsonAsync<JsonElement>($"/api/v1/dags/{dagId}/dagRuns");
            var run = runs.GetProperty("dag_runs").EnumerateArray().FirstOrDefault(r => r.GetProperty("dag_run_id").GetString() == runId);
            if (run.ValueKind == JsonValueKind.Object && run.GetProperty("state").GetString() is "success" or "failed") return run;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{dagId} run {runId} did not end: {run}");
            await Task.Delay(500);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)] // one past Orchestrator:MaxSpawnBatch
    public async Task A_spawn_outside_the_batch_limit_is_refused_before_anything_is_created(int size)
    {
        var client = await fx.ClientAsync("orchestrator", "operator");
        var indexAgent = await fx.ClientAsync("indexagent", "viewer");
        var before = (await indexAgent.GetFromJsonAsync<JsonElement>("/api/v1/agents?limit=1")).GetProperty("total").GetInt64();
        var response = await client.PostAsJsonAsync("/api/v1/agents/spawn", new { population_size = size, token_budget = 10_000 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("[1, 100]", problem.GetProperty("errors").GetProperty("population_size")[0].GetString());
        Assert.Equal(before, (await indexAgent.GetFromJsonAsync<JsonElement>("/api/v1/agents?limit=1")).GetProperty("total").GetInt64());
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")] // what curl -d sends without -H
    [InlineData(null)]
    public async Task The_runbooks_curl_d_lines_are_read_as_json_whatever_their_content_type(string? contentType)
    {
        var client = await fx.ClientAsync("orchestrator", "operator");
        // Patterns older than a century: the request is the runbook's, the archive changes nothing here.
        using var body = new StringContent("""{"older_than_days": 36500, "min_usage": 5}""", Encoding.UTF8);
        body.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);
        var response = await client.PostAsync("/api/v1/patterns/archive", body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());

        // A body that is not JSON is still a 400 ProblemDetails, not a 415 or a 500.
        using var form = new StringContent("older_than_days=30&min_usage=5", Encoding.UTF8);
        form.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        var bad = await client.PostAsync("/api/v1/patterns/archive", form);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task The_airflow_port_accepts_basic_credentials_like_the_runbook()
    {
        var airflow = fx.App.CreateHttpClient("orchestrator", "airflow");
        Assert.Equal(HttpStatusCode.OK, (await airflow.GetAsync("/health")).StatusCode);
        airflow.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{fx.AdminPassword}")));
        Assert.Equal(HttpStatusCode.OK, (await airflow.GetAsync("/api/v1/dags/dean_token_economy/dagRuns")).StatusCode);
        airflow.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:wrong")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await airflow.GetAsync("/api/v1/dags/dean_token_economy/dagRuns")).StatusCode);
    }

    [Fact]
    public async Task The_airflow_port_serves_only_health_hangfire_and_dags_and_basic_works_nowhere_else()
    {
        var token = (await fx.ClientAsync("orchestrator", "admin")).DefaultRequestHeaders.Authorization;
        var airflow = fx.App.CreateHttpClient("orchestrator", "airflow");
        airflow.DefaultRequestHeaders.Authorization = token;
        Assert.Equal(HttpStatusCode.NotFound, (await airflow.GetAsync("/api/v1/evolution")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await airflow.GetAsync("/api/v1/backups")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await airflow.PostAsync("/api/v1/emergency/stop-all", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await airflow.GetAsync("/api/v1/dags")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await airflow.GetAsync("/health")).StatusCode);

        // On the API port, Basic credentials are no credentials at all (and cost no password hash).
        var api = fx.Client("orchestrator");
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{fx.AdminPassword}")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/evolution")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/dags")).StatusCode);
    }

    [Fact]
    public async Task Fifty_wrong_passwords_in_a_row_get_429_and_block_that_user_only()
    {
        var admin = await fx.ClientAsync("orchestrator", "admin");
        var username = $"guess-{Guid.NewGuid():N}"[..16];
        (await admin.PostAsJsonAsync("/api/v1/auth/users", new { username, password = "the-right-password", role = "viewer" })).EnsureSuccessStatusCode();
        var client = fx.Client("orchestrator");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 50; i++)
            statuses.Add((await client.PostAsJsonAsync("/api/v1/auth/login", new { username, password = $"wrong-{i}" })).StatusCode);
        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.All(statuses.Skip(10), s => Assert.Equal((HttpStatusCode)429, s));

        // Blocked before the password is even checked: the right one is refused too, until the window passes.
        var right = await client.PostAsJsonAsync("/api/v1/auth/login", new { username, password = "the-right-password" });
        Assert.Equal((HttpStatusCode)429, right.StatusCode);
        var problem = await right.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("too_many_attempts", problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("retry_after_seconds").GetInt32() > 0);
        // Another user from the same address is not affected: ten failures are under the address's limit.
        var other = await client.PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password = fx.AdminPassword });
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Hangfire_dashboard_is_for_admins_only()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.Client("orchestrator").GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await fx.Client("orchestrator").GetAsync($"/hangfire?access_token={await fx.TokenAsync("operator")}")).StatusCode);
        var admin = await fx.Client("orchestrator").GetAsync($"/hangfire/recurring?access_token={await fx.TokenAsync("admin")}");
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Contains("dean_token_economy", await admin.Content.ReadAsStringAsync());
    }

    private static async Task<int> CycleCountAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/api/v1/evolution?limit=500")).GetProperty("total").GetInt32();
}
