using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using TempDirectory = Dean.Tests.IndexAgent.TempDirectory;
using Dean.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Dean.Tests.Orchestrator;

/// <summary>Evolution cycles through the running AppHost: real agents, worktrees, evaluator processes and ledger.</summary>
[Collection(DeanAppCollection.Name)]
public sealed class CycleTests(DeanAppFixture fx, ITestOutputHelper output)
{
    private static readonly TimeSpan CycleTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task A_cycle_spawns_its_population_and_completes_every_generation()
    {
        var orchestrator = await fx.ClientAsync("orchestrator", "operator");
        var start = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { population_size = 3, generations = 3, token_budget = 60_000 });
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var cycleId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cycle_id").GetString()!;

        var status = await WaitForEndAsync(orchestrator, cycleId);
        output.WriteLine(status.ToString());
        Assert.Equal("completed", status.GetProperty("status").GetString());
        var generations = status.GetProperty("generations").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], generations.Select(g => g.GetProperty("generation").GetInt32()));
        Assert.All(generations, g => Assert.True(g.GetProperty("evaluations").GetInt32() >= 1));
        Assert.All(generations, g => Assert.Equal(JsonValueKind.Object, g.GetProperty("ca_rules_fired").ValueKind));
        Assert.Equal(generations.Sum(g => g.GetProperty("tokens").GetInt64()), status.GetProperty("tokens_consumed").GetInt64());
        Assert.True(status.GetProperty("tokens_consumed").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Number, status.GetProperty("best_score").ValueKind);
        // Held within [max(3, min 3), min(2 × 3, max 50)] = [3, 6].
        Assert.InRange(status.GetProperty("population_ids").GetArrayLength(), 3, 6);
        Assert.Equal(3, status.GetProperty("population_size").GetInt32());
        // The edit-kind table adds up to the generations' evaluations and accepted candidates.
        var kinds = status.GetProperty("edit_kinds").EnumerateObject().ToList();
        Assert.NotEmpty(kinds);
        Assert.Equal(generations.Sum(g => g.GetProperty("evaluations").GetInt32()), kinds.Sum(k => k.Value.GetProperty("evaluated").GetInt32()));
        Assert.Equal(generations.Sum(g => g.GetProperty("accepted").GetInt32()), kinds.Sum(k => k.Value.GetProperty("accepted").GetInt32()));
        Assert.All(kinds, k => Assert.True(k.Value.GetProperty("proposed").GetInt32() >= k.Value.GetProperty("evaluated").GetInt32() + k.Value.GetProperty("check_failed").GetInt32()));
        // One stage (the sample's evaluate): every evaluation reached stage 1 and no other.
        Assert.Equal([("1", generations.Sum(g => g.GetProperty("evaluations").GetInt32()))],
            status.GetProperty("stages").EnumerateObject().Select(p => (p.Name, p.Value.GetInt32())));

        await AssertEveryStepOnceAsync(cycleId, status);
        await AssertPoolReturnedAsync(cycleId);
    }

    [Fact]
    public async Task Stop_during_a_generation_ends_stopped_within_seconds_and_releases_tokens()
    {
        var agents = await CreateAgentsAsync(3);
        var orchestrator = await fx.ClientAsync("orchestrator", "operator");
        var started = Stopwatch.StartNew();
        var start = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { population_ids = agents, generations = 50, token_budget = 120_000 });
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var cycleId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cycle_id").GetString()!;

        var firstStep = await WaitForEventAsync(orchestrator, cycleId, "step_completed", TimeSpan.FromSeconds(60));
        output.WriteLine($"start -> first evaluated candidate: {firstStep.TotalMilliseconds:F0} ms after the start request returned ({started.ElapsedMilliseconds} ms since it was sent)");

        // How long stopping takes is a figure for the notes, not an assertion: a loaded machine must not fail the suite.
        var stopping = Stopwatch.StartNew();
        var stop = await orchestrator.PostAsync($"/api/v1/evolution/{cycleId}/stop", null);
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        var stopped = await WaitForEndAsync(orchestrator, cycleId, TimeSpan.FromSeconds(120));
        output.WriteLine($"stop -> stopped: {stopping.ElapsedMilliseconds} ms");
        Assert.Equal("stopped", stopped.GetProperty("status").GetString());
        Assert.True(stopped.GetProperty("current_generation").GetInt32() < 50);

        await AssertPoolReturnedAsync(cycleId);
        var economy = await fx.ClientAsync("economy", "viewer");
        foreach (var agent in agents)
        {
            // A step in flight when the stop arrived settles or releases its reservation.
            await Eventually(async () => (await economy.GetFromJsonAsync<JsonElement>($"/api/v1/economy/agents/{agent}")).GetProperty("reserved").GetInt64() == 0,
                TimeSpan.FromSeconds(60));
        }
    }

    [Fact]
    public async Task A_killed_orchestrator_resumes_the_cycle_and_runs_every_generation_once()
    {
        var agents = await CreateAgentsAsync(3);
        var orchestrator = await fx.ClientAsync("orchestrator", "operator");
        var start = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { population_ids = agents, generations = 4, token_budget = 100_000 });
        var cycleId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cycle_id").GetString()!;
        await Eventually(async () => (await StatusAsync(orchestrator, cycleId)).GetProperty("current_generation").GetInt32() >= 1, CycleTimeout);

        await KillAndRestartAsync("orchestrator");
        orchestrator = await fx.ClientAsync("orchestrator", "operator");
        var status = await WaitForEndAsync(orchestrator, cycleId);
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.Equal([1, 2, 3, 4], status.GetProperty("generations").EnumerateArray().Select(g => g.GetProperty("generation").GetInt32()));
        await AssertEveryStepOnceAsync(cycleId, status);
        await AssertPoolReturnedAsync(cycleId);
    }

    [Fact]
    public async Task Events_stream_the_progress_of_a_cycle()
    {
        var agents = await CreateAgentsAsync(3);
        var orchestrator = await fx.ClientAsync("orchestrator", "operator");
        var start = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { population_ids = agents, generations = 2, token_budget = 60_000 });
        var cycleId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cycle_id").GetString()!;
        var types = new List<string>();
        using var cancel = new CancellationTokenSource(CycleTimeout);
        using var stream = await orchestrator.GetStreamAsync($"/api/v1/evolution/{cycleId}/events", cancel.Token);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (!line.StartsWith("event: ", StringComparison.Ordinal)) continue;
            types.Add(line["event: ".Length..]);
            if (types[^1] == "cycle_ended") break;
        }
        Assert.Equal("status", types[0]);
        Assert.Contains("step_completed", types);
        Assert.Equal(2, types.Count(t => t == "generation_completed"));
        Assert.Equal("cycle_ended", types[^1]);
    }

    [Fact]
    public async Task An_agent_of_an_ended_cycle_joins_a_new_cycle_funded_by_the_new_pool()
    {
        var orchestrator = await fx.ClientAsync("orchestrator", "operator");
        var first = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { population_size = 3, generations = 1, token_budget = 3_000 });
        var firstId = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cycle_id").GetString()!;
        var firstStatus = await WaitForEndAsync(orchestrator, firstId);
        var indexAgent = await fx.ClientAsync("indexagent", "viewer");
        string? veteran = null;
        foreach (var id in firstStatus.GetProperty("population_ids").EnumerateArray().Select(a => a.GetString()!))
        {
            var agent = await indexAgent.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}");
            if (agent.GetProperty("status").GetString() is "active" or "budget_exhausted") { veteran = id; break; }
        }
        Assert.NotNull(veteran);
        var economy = await fx.ClientAsync("economy", "viewer");
        Assert.Equal($"cycle:{firstId}", (await economy.GetFromJsonAsync<JsonElement>($"/api/v1/economy/agents/{veteran}")).GetProperty("source").GetString());

        var second = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { population_ids = new[] { veteran }, generations = 2, token_budget = 20_000 });
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var secondId = (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cycle_id").GetString()!;
        var status = await WaitForEndAsync(orchestrator, secondId);
        output.WriteLine(status.ToString());
        Assert.Equal("completed", status.GetProperty("status").GetString());
        var candidates = await indexAgent.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{veteran}/candidates?limit=1000");
        Assert.Equal([1, 2], candidates.GetProperty("candidates").EnumerateArray()
            .Where(c => c.GetProperty("cycle_id").ValueKind == JsonValueKind.String && c.GetProperty("cycle_id").GetString() == secondId)
            .Select(c => c.GetProperty("generation").GetInt32()).Order());
        // The new pool funded it; the old pool no longer counts it among its agents.
        var account = await economy.GetFromJsonAsync<JsonElement>($"/api/v1/economy/agents/{veteran}");
        Assert.Equal($"cycle:{secondId}", account.GetProperty("source").GetString());
        Assert.Equal(0, (await economy.GetFromJsonAsync<JsonElement>($"/api/v1/economy/agents/cycle:{firstId}")).GetProperty("remaining").GetInt64());
        await AssertPoolReturnedAsync(secondId);
    }

    [Fact]
    public async Task An_agent_in_a_cycle_that_has_not_ended_is_refused_to_another_with_agent_busy_and_nothing_is_created()
    {
        var agents = await CreateAgentsAsync(3);
        var orchestrator = await fx.ClientAsync("orchestrator", "operator");
        var first = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { population_ids = agents, generations = 50, token_budget = 120_000 });
        Assert.True(first.StatusCode == HttpStatusCode.Accepted, await first.Content.ReadAsStringAsync());
        var firstId = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cycle_id").GetString()!;
        try
        {
            var cyclesBefore = (await orchestrator.GetFromJsonAsync<JsonElement>("/api/v1/evolution?limit=500")).GetProperty("total").GetInt32();
            // The runbook's line, while the agent belongs to a running cycle.
            var second = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { population_ids = new[] { agents[1] }, generations = 5, token_budget = 1000 });
            Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
            var problem = await second.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("agent_busy", problem.GetProperty("type").GetString());
            Assert.Equal(agents[1], problem.GetProperty("agent_id").GetString());
            Assert.Equal(firstId, problem.GetProperty("cycle_id").GetString());
            Assert.Contains(firstId, problem.GetProperty("detail").GetString());
            Assert.Equal(cyclesBefore, (await orchestrator.GetFromJsonAsync<JsonElement>("/api/v1/evolution?limit=500")).GetProperty("total").GetInt32());
        }
        finally
        {
            await orchestrator.PostAsync($"/api/v1/evolution/{firstId}/stop", null);
            await WaitForEndAsync(orchestrator, firstId);
        }
    }

    [Fact]
    public async Task A_step_refused_because_the_agent_is_paused_is_skipped_as_agent_not_active_and_is_no_evaluation()
    {
        var agent = (await CreateAgentsAsync(1))[0];
        var http = await fx.ClientAsync("indexagent", "operator");
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"/api/v1/agents/{agent}/pause", null)).StatusCode);
        try
        {
            var step = await new Dean.Orchestrator.Clients.IndexAgentClient(http).EvolveAsync(agent, "cycle_refused", 1, 7, CancellationToken.None);
            Assert.Equal("agent_not_active", step.Reason);
            Assert.Equal("skipped", step.Evaluation);
            Assert.Null(step.CandidateId);
            Assert.False(new Dean.Orchestrator.Evolution.StepRecord(agent, step.CandidateId, step.Accepted, step.Score, step.TokensUsed, step.Reason,
                step.EditKind, step.Evaluation).Evaluated);
        }
        finally
        {
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"/api/v1/agents/{agent}/resume", null)).StatusCode);
        }
    }

    private async Task<List<string>> CreateAgentsAsync(int count)
    {
        var indexAgent = await fx.ClientAsync("indexagent", "operator");
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var response = await indexAgent.PostAsJsonAsync("/api/v1/agents", new { goal = "minimise the objective", token_budget = 2_000 });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            ids.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        }
        return ids;
    }

    /// <summary>Every (agent, generation) of the cycle has exactly one candidate at the IndexAgent, retired agents included.</summary>
    private async Task AssertEveryStepOnceAsync(string cycleId, JsonElement status)
    {
        var indexAgent = await fx.ClientAsync("indexagent", "viewer");
        var agents = await indexAgent.GetFromJsonAsync<JsonElement>("/api/v1/agents?limit=500");
        var seen = new Dictionary<(string, int), int>();
        var evaluated = new Dictionary<int, int>();
        foreach (var agent in agents.GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("id").GetString()!))
        {
            var page = await indexAgent.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{agent}/candidates?limit=1000");
            foreach (var candidate in page.GetProperty("candidates").EnumerateArray()
                         .Where(c => c.GetProperty("cycle_id").ValueKind == JsonValueKind.String && c.GetProperty("cycle_id").GetString() == cycleId))
            {
                var key = (agent, candidate.GetProperty("generation").GetInt32());
                seen[key] = seen.GetValueOrDefault(key) + 1;
                if (candidate.GetProperty("evaluation").GetString() is not ("check_failed" or "skipped")) evaluated[key.Item2] = evaluated.GetValueOrDefault(key.Item2) + 1;
            }
        }
        Assert.NotEmpty(seen);
        Assert.All(seen, pair => Assert.True(pair.Value == 1, $"{pair.Key} has {pair.Value} candidates"));
        // Only candidates that reached the evaluator are evaluations (the validity gate's rejections are not).
        var generations = status.GetProperty("generations").EnumerateArray().ToDictionary(g => g.GetProperty("generation").GetInt32(), g => g.GetProperty("evaluations").GetInt32());
        foreach (var (generation, evaluations) in generations)
            Assert.Equal(evaluations, evaluated.GetValueOrDefault(generation));
    }

    private async Task AssertPoolReturnedAsync(string cycleId)
    {
        var economy = await fx.ClientAsync("economy", "viewer");
        var pool = await economy.GetFromJsonAsync<JsonElement>($"/api/v1/economy/agents/cycle:{cycleId}");
        Assert.Equal(0, pool.GetProperty("remaining").GetInt64());
    }

    private async Task KillAndRestartAsync(string resource)
    {
        await fx.KillAsync(resource, output);
        await fx.StartAgainAsync(resource, output);
    }

    [Fact]
    public async Task A_cycles_best_program_comes_back_in_the_peers_format_scored_again_and_a_disagreement_is_flagged()
    {
        var admin = await fx.ClientAsync("indexagent", "admin");
        async Task<string> RegisterAsync(TempDirectory repo, string prefix)
        {
            repo.Commit();
            var registered = await admin.PostAsJsonAsync("/api/v1/targets", new { name = $"{prefix}-{Guid.NewGuid():N}"[..20], repository = repo.Path });
            var body = await registered.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(registered.StatusCode == HttpStatusCode.Created, body.ToString());
            return body.GetProperty("name").GetString()!;
        }
        var orchestrator = await fx.ClientAsync("orchestrator", "operator");
        async Task<JsonElement> BestAfterCycleAsync(string target)
        {
            var start = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { population_size = 3, generations = 3, token_budget = 60_000, target });
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
            var cycleId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cycle_id").GetString()!;
            Assert.Equal("completed", (await WaitForEndAsync(orchestrator, cycleId)).GetProperty("status").GetString());
            var best = await orchestrator.GetAsync($"/api/v1/evolution/{cycleId}/best");
            var text = await best.Content.ReadAsStringAsync();
            Assert.True(best.StatusCode == HttpStatusCode.OK, text);
            return JsonDocument.Parse(text).RootElement.Clone();
        }

        using var peer = TempDirectory.FromPeerTask("openevolve");
        var fromPeer = await BestAfterCycleAsync(await RegisterAsync(peer, "best-oe"));
        Assert.Equal(("openevolve", "best_program.py"), (fromPeer.GetProperty("format").GetString(), fromPeer.GetProperty("path").GetString()));
        Assert.Contains("def guess():", fromPeer.GetProperty("content").GetString());
        Assert.True(fromPeer.GetProperty("agrees").GetBoolean(), fromPeer.ToString());
        Assert.Equal(fromPeer.GetProperty("score").GetDouble(), fromPeer.GetProperty("rescored_score").GetDouble(), 9);
        Assert.True(fromPeer.GetProperty("score").GetDouble() >= 1.0 / 14.0 - 1e-12);
        // Its metrics are the fresh evaluation's: score = 1 / (1 + distance).
        Assert.Equal(fromPeer.GetProperty("metrics").GetProperty("distance").GetDouble(), 1.0 / fromPeer.GetProperty("score").GetDouble() - 1.0, 6);

        // An evaluator whose verdict is not reproducible: the score the best was accepted with is not what it scores now.
        using var noisy = new TempDirectory();
        noisy.Write("dean.json", """{"name": "noisy", "evolve": ["program.py"], "evaluate": "python3 evaluate.py"}""");
        noisy.Write("program.py", "x = 1.0\n");
        noisy.Write("evaluate.py", "import json, random\nprint(json.dumps({\"score\": 1 + random.random()}))\n");
        var fromNoisy = await BestAfterCycleAsync(await RegisterAsync(noisy, "best-noisy"));
        Assert.Equal(("dean", "program.py"), (fromNoisy.GetProperty("format").GetString(), fromNoisy.GetProperty("path").GetString()));
        Assert.False(fromNoisy.GetProperty("agrees").GetBoolean(), fromNoisy.ToString());
    }

    [Fact]
    public async Task A_cycle_on_an_openevolve_task_takes_its_size_and_generations_from_the_tasks_config()
    {
        using var peer = TempDirectory.FromPeerTask("openevolve");
        peer.Write("config.yaml", "max_iterations: 10\ndatabase:\n  population_size: 4\n");
        peer.Commit();
        var registered = await (await fx.ClientAsync("indexagent", "admin")).PostAsJsonAsync("/api/v1/targets", new { name = $"cfg-{Guid.NewGuid():N}"[..20], repository = peer.Path });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var target = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString();

        var orchestrator = await fx.ClientAsync("orchestrator", "operator");
        var start = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { target, token_budget = 40_000 });
        var started = await start.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, started.ToString());
        var cycleId = started.GetProperty("cycle_id").GetString()!;
        // 10 evaluations at a population of 4: 3 generations. Nothing more to see: stop it.
        await orchestrator.PostAsync($"/api/v1/evolution/{cycleId}/stop", null);
        var status = await StatusAsync(orchestrator, cycleId);
        Assert.Equal((4, 3), (status.GetProperty("population_size").GetInt32(), status.GetProperty("total_generations").GetInt32()));
        // A request's own values win over the config.
        var explicitStart = await orchestrator.PostAsJsonAsync("/api/v1/evolution/start", new { target, token_budget = 40_000, population_size = 3, generations = 1 });
        var explicitId = (await explicitStart.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cycle_id").GetString()!;
        await orchestrator.PostAsync($"/api/v1/evolution/{explicitId}/stop", null);
        var explicitStatus = await StatusAsync(orchestrator, explicitId);
        Assert.Equal((3, 1), (explicitStatus.GetProperty("population_size").GetInt32(), explicitStatus.GetProperty("total_generations").GetInt32()));
    }

    private static async Task<JsonElement> StatusAsync(HttpClient orchestrator, string cycleId) =>
        await orchestrator.GetFromJsonAsync<JsonElement>($"/api/v1/evolution/{cycleId}/status");

    private static async Task<JsonElement> WaitForEndAsync(HttpClient orchestrator, string cycleId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? CycleTimeout);
        while (true)
        {
            var status = await StatusAsync(orchestrator, cycleId);
            if (status.GetProperty("status").GetString() is "completed" or "stopped" or "failed" or "budget_exhausted") return status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"cycle {cycleId} still {status.GetProperty("status")}: {status}");
            await Task.Delay(250);
        }
    }

    /// <summary>Time from now until the cycle's stream shows an event of the given type.</summary>
    private static async Task<TimeSpan> WaitForEventAsync(HttpClient orchestrator, string cycleId, string type, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        using var cancel = new CancellationTokenSource(timeout);
        using var stream = await orchestrator.GetStreamAsync($"/api/v1/evolution/{cycleId}/events", cancel.Token);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line == $"event: {type}") return stopwatch.Elapsed;
        }
        throw new InvalidOperationException($"the stream of {cycleId} ended without {type}");
    }

    private static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in time");
            await Task.Delay(250);
        }
    }
}
