using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dean.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Dean.Tests.IndexAgent;

/// <summary>IndexAgent through the running AppHost: real PostgreSQL, Redis, Economy, git and evaluator processes.</summary>
[Collection(DeanAppCollection.Name)]
public sealed class IndexAgentApiTests(DeanAppFixture fx, ITestOutputHelper output)
{
    private async Task<HttpClient> OperatorAsync() => await fx.ClientAsync("indexagent", "operator");

    /// <summary>Registering a target is an admin's: its evaluate command runs on the IndexAgent's machine.</summary>
    private async Task<HttpClient> AdminAsync() => await fx.ClientAsync("indexagent", "admin");

    private async Task<JsonElement> SpawnAsync(HttpClient client, long budget, object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["goal"] = "lower the objective", ["target"] = "function-minimization", ["token_budget"] = budget };
        if (extra is not null)
            foreach (var p in JsonSerializer.SerializeToElement(extra).EnumerateObject()) body[p.Name] = p.Value;
        var response = await client.PostAsJsonAsync("/api/v1/agents", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> EvolveAsync(HttpClient client, string id, object? body = null)
    {
        var response = await client.PostAsJsonAsync($"/api/v1/agents/{id}/evolve", body ?? new { });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task The_default_target_comes_from_the_fast_sample()
    {
        var client = await fx.ClientAsync("indexagent", "viewer");
        var targets = await client.GetFromJsonAsync<JsonElement>("/api/v1/targets");
        var target = targets.GetProperty("targets").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "function-minimization");
        Assert.True(target.GetProperty("is_default").GetBoolean());
        Assert.Equal("python3 evaluate.py", target.GetProperty("task").GetProperty("evaluate").GetString());
        Assert.True(File.Exists(Path.Combine(target.GetProperty("path").GetString()!, "program.py")));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/targets/no-such-target")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/v1/targets", new { repository = "/tmp" })).StatusCode);
    }

    [Fact]
    public async Task Only_an_admin_registers_a_target_or_supplies_pattern_text()
    {
        var operatorClient = await OperatorAsync();
        var before = (await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/targets")).GetProperty("targets").GetArrayLength();
        var refused = await operatorClient.PostAsJsonAsync("/api/v1/targets", new { name = "operator-target", repository = Path.Combine(TempDirectory.SamplesRoot, "function-minimization") });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(before, (await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/targets")).GetProperty("targets").GetArrayLength());

        var agent = await SpawnAsync(operatorClient, 5_000);
        var id = agent.GetProperty("id").GetString();
        var patterns = new[] { new { id = "p1", before = "x = 1", after = "import os; os.system('id')" } };
        var withText = await operatorClient.PostAsJsonAsync($"/api/v1/agents/{id}/evolve", new { patterns });
        Assert.Equal(HttpStatusCode.Forbidden, withText.StatusCode);
        Assert.Equal("forbidden", (await withText.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.Equal(0, (await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}/candidates")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_malformed_task_file_is_refused_naming_the_field()
    {
        var client = await AdminAsync();
        using var repo = new TempDirectory();
        repo.Write("dean.json", """{"name": "broken", "evolve": "program.py", "evaluate": "python3 evaluate.py"}""");
        repo.Write("program.py", "x = 1\n");
        repo.Commit();
        var response = await client.PostAsJsonAsync("/api/v1/targets", new { name = "broken-target", repository = repo.Path });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("evolve", out _), problem.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/targets/broken-target")).StatusCode);

        using var missing = new TempDirectory();
        missing.Write("program.py", "x = 1\n");
        missing.Commit();
        var noTaskFile = await client.PostAsJsonAsync("/api/v1/targets", new { name = "no-task-file", repository = missing.Path });
        Assert.Equal(HttpStatusCode.BadRequest, noTaskFile.StatusCode);
        Assert.True((await noTaskFile.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("dean.json", out _));

        var badRepository = await client.PostAsJsonAsync("/api/v1/targets", new { name = "nowhere", repository = "/nonexistent/repository" });
        Assert.Equal(HttpStatusCode.BadRequest, badRepository.StatusCode);
    }

    [Fact]
    public async Task Steps_commit_improvements_restore_everything_else_and_the_ledger_matches_the_candidates()
    {
        var client = await OperatorAsync();
        var agent = await SpawnAsync(client, 60_000);
        var id = agent.GetProperty("id").GetString()!;
        Assert.Matches("^agent_[0-9]{3,}$", id);
        var worktree = agent.GetProperty("worktree_path").GetString()!;
        Assert.Equal($"dean/agent/{id}", agent.GetProperty("branch").GetString());
        Assert.Equal($"dean/agent/{id}", TempDirectory.RunGit(worktree, "rev-parse", "--abbrev-ref", "HEAD"));
        var startFitness = agent.GetProperty("fitness").GetDouble();
        Assert.InRange(startFitness, 1.0, 1.52); // the sample's own score, measured at spawn
        Assert.Equal(60_000, agent.GetProperty("token_budget").GetProperty("total").GetInt64());

        JsonElement? accepted = null, rejected = null;
        var fitness = startFitness;
        for (var step = 0; step < 40 && (accepted is null || rejected is null); step++)
        {
            var headBefore = TempDirectory.RunGit(worktree, "rev-parse", "HEAD");
            var programBefore = File.ReadAllText(Path.Combine(worktree, "program.py"));
            var result = await EvolveAsync(client, id, new { seed = 1000 + step });
            Assert.Equal(fitness, result.GetProperty("previous_fitness").GetDouble(), 9);
            Assert.Matches("^[0-9]+$", result.GetProperty("candidate_id").GetString());
            Assert.True(result.GetProperty("tokens_used").GetInt64() > 0);
            Assert.Equal("", TempDirectory.RunGit(worktree, "status", "--porcelain"));
            if (result.GetProperty("accepted").GetBoolean())
            {
                var score = result.GetProperty("score").GetDouble();
                Assert.True(score > fitness);
                var head = TempDirectory.RunGit(worktree, "rev-parse", "HEAD");
                Assert.Equal(result.GetProperty("commit").GetString(), head);
                Assert.Equal(headBefore, TempDirectory.RunGit(worktree, "rev-parse", "HEAD~1"));
                Assert.Equal("program.py", TempDirectory.RunGit(worktree, "show", "--name-only", "--format=", head));
                Assert.NotEqual(programBefore, File.ReadAllText(Path.Combine(worktree, "program.py")));
                fitness = score;
                accepted ??= result;
            }
            else
            {
                Assert.Equal(headBefore, TempDirectory.RunGit(worktree, "rev-parse", "HEAD"));
                Assert.Equal(programBefore, File.ReadAllText(Path.Combine(worktree, "program.py")));
                Assert.False(string.IsNullOrEmpty(result.GetProperty("reason").GetString()));
                rejected ??= result;
            }
        }
        Assert.True(accepted is not null, "no step improved the fast sample in 40 steps");
        Assert.True(rejected is not null, "no step was rejected in 40 steps");
        output.WriteLine($"fitness {startFitness:F4} -> {fitness:F4}; first accepted: {accepted}");

        var details = await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}");
        Assert.Equal(fitness, details.GetProperty("fitness").GetDouble(), 9);
        var candidates = await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}/candidates?limit=1000");
        var list = candidates.GetProperty("candidates").EnumerateArray().ToList();
        Assert.Equal(list.Count, candidates.GetProperty("total").GetInt64());
        var sum = list.Sum(c => c.GetProperty("tokens_used").GetInt64());
        Assert.Equal(sum, details.GetProperty("token_budget").GetProperty("used").GetInt64());
        Assert.Contains(list, c => c.GetProperty("accepted").GetBoolean() && c.GetProperty("diff").GetString()!.Contains("+++ b/program.py"));

        var economy = await fx.ClientAsync("economy", "viewer");
        var account = await economy.GetFromJsonAsync<JsonElement>($"/api/v1/economy/agents/{id}");
        Assert.Equal(sum, account.GetProperty("consumed").GetInt64());
        Assert.Equal(0, account.GetProperty("reserved").GetInt64());
    }

    [Fact]
    public async Task Retiring_removes_the_worktree_keeps_the_branch_and_returns_unused_tokens()
    {
        var client = await OperatorAsync();
        var agent = await SpawnAsync(client, 5_000, new { name = "retiree" });
        var id = agent.GetProperty("id").GetString()!;
        var worktree = agent.GetProperty("worktree_path").GetString()!;
        var step = await EvolveAsync(client, id, new { seed = 3 });
        var used = step.GetProperty("tokens_used").GetInt64();

        var redis = await ConnectionMultiplexer.ConnectAsync(await fx.ConnectionStringAsync("redis"));
        Assert.True(await redis.GetDatabase().SetContainsAsync("agents:active", id));
        Assert.Equal("active", (string?)await redis.GetDatabase().StringGetAsync($"agents:status:{id}"));

        var target = await client.GetFromJsonAsync<JsonElement>("/api/v1/targets/function-minimization");
        var response = await client.DeleteAsync($"/api/v1/agents/{id}?reason=test");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var retired = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("retired", retired.GetProperty("agent").GetProperty("status").GetString());
        Assert.Equal(5_000 - used, retired.GetProperty("tokens_returned").GetInt64());
        Assert.False(Directory.Exists(worktree));
        Assert.Matches("^[0-9a-f]{40}$", TempDirectory.RunGit(target.GetProperty("path").GetString()!, "rev-parse", "--verify", $"dean/agent/{id}"));
        Assert.False(await redis.GetDatabase().SetContainsAsync("agents:active", id));
        Assert.Equal("retired", (string?)await redis.GetDatabase().StringGetAsync($"agents:status:{id}"));

        var account = await (await fx.ClientAsync("economy", "viewer")).GetFromJsonAsync<JsonElement>($"/api/v1/economy/agents/{id}");
        Assert.Equal(used, account.GetProperty("consumed").GetInt64());
        Assert.Equal(0, account.GetProperty("remaining").GetInt64());

        var again = await client.PostAsJsonAsync($"/api/v1/agents/{id}/evolve", new { });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var retiredList = await client.GetFromJsonAsync<JsonElement>("/api/v1/agents?status=retired&limit=500");
        Assert.Contains(retiredList.GetProperty("agents").EnumerateArray(), a => a.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task A_step_the_budget_cannot_cover_exhausts_the_agent_and_charges_nothing()
    {
        var client = await OperatorAsync();
        var agent = await SpawnAsync(client, 100);
        var id = agent.GetProperty("id").GetString()!;
        var response = await client.PostAsJsonAsync($"/api/v1/agents/{id}/evolve", new { });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("budget_exceeded", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        var details = await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}");
        Assert.Equal("budget_exhausted", details.GetProperty("status").GetString());
        Assert.Equal(0, details.GetProperty("token_budget").GetProperty("used").GetInt64());
        var candidates = await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}/candidates");
        Assert.Equal(0, candidates.GetProperty("total").GetInt64());

        // Funded again, it takes its next step and is active again.
        var economy = await fx.ClientAsync("economy", "operator");
        (await economy.PostAsJsonAsync("/api/v1/economy/allocate", new { agent_id = id, requested_tokens = 20_000, priority = "normal" })).EnsureSuccessStatusCode();
        var step = await client.PostAsJsonAsync($"/api/v1/agents/{id}/evolve", new { });
        Assert.True(step.IsSuccessStatusCode, await step.Content.ReadAsStringAsync());
        var after = await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}");
        Assert.Equal("active", after.GetProperty("status").GetString());
        // Its budget is the Economy's: the top-up shows in token_budget.
        var account = await economy.GetFromJsonAsync<JsonElement>($"/api/v1/economy/agents/{id}");
        var budget = after.GetProperty("token_budget");
        Assert.Equal(account.GetProperty("remaining").GetInt64(), budget.GetProperty("remaining").GetInt64());
        Assert.Equal(account.GetProperty("consumed").GetInt64(), budget.GetProperty("used").GetInt64());
        Assert.True(budget.GetProperty("total").GetInt64() > 20_000, budget.ToString());
    }

    [Fact]
    public async Task Children_branch_from_their_parent_and_appear_in_the_lineage()
    {
        var client = await OperatorAsync();
        var parent = await SpawnAsync(client, 2_000, new { cycle_id = (string?)null });
        var parentId = parent.GetProperty("id").GetString()!;
        var genome = new { traits = new { exploration = 0.9, creativity = 0.1, efficiency = 0.2, risk = 0.3 }, strategies = new[] { "tune-constants" }, mutation_rate = 0.2 };
        var child = await SpawnAsync(client, 2_000, new { parent_ids = new[] { parentId }, genome });
        var childId = child.GetProperty("id").GetString()!;
        Assert.Equal(parent.GetProperty("generation").GetInt32() + 1, child.GetProperty("generation").GetInt32());
        Assert.Equal(parent.GetProperty("head_commit").GetString(), child.GetProperty("base_commit").GetString());
        Assert.Equal(parent.GetProperty("fitness").GetDouble(), child.GetProperty("fitness").GetDouble());
        Assert.Equal(0.9, child.GetProperty("genome").GetProperty("traits").GetProperty("exploration").GetDouble());

        var lineage = await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{childId}/lineage");
        Assert.Equal(parentId, lineage.GetProperty("ancestors").EnumerateArray().Single().GetProperty("id").GetString());
        var parentLineage = await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{parentId}/lineage");
        Assert.Contains(parentLineage.GetProperty("descendants").EnumerateArray(), d => d.GetProperty("id").GetString() == childId);

        // Crossover with the parent's committed version is accepted as an input.
        var step = await EvolveAsync(client, childId, new { seed = 11, crossover_with = parentId, cycle_id = "cycle-x", generation = 4 });
        Assert.Equal("cycle-x", step.GetProperty("cycle_id").GetString());
        Assert.Equal(4, step.GetProperty("generation").GetInt32());
    }

    [Fact]
    public async Task Bad_agent_requests_get_400_naming_the_field()
    {
        var client = await OperatorAsync();
        foreach (var (body, field) in new (object Body, string Field)[]
                 {
                     (new { target = "function-minimization", token_budget = 100 }, "goal"),
                     (new { goal = "g", target = "function-minimization", token_budget = 0 }, "token_budget"),
                     (new { goal = "g", target = "nope", token_budget = 100 }, "target"),
                     (new { goal = "g", token_budget = 100, genome = new { traits = new { exploration = 2.0, creativity = 0.5, efficiency = 0.5, risk = 0.5 }, strategies = new[] { "tune-constants" }, mutation_rate = 0.1 } }, "genome.traits.exploration"),
                     (new { goal = "g", token_budget = 100, genome = new { traits = new { exploration = 0.5, creativity = 0.5, efficiency = 0.5, risk = 0.5 }, strategies = new[] { "teleport" }, mutation_rate = 0.1 } }, "genome.strategies"),
                     (new { goal = "g", token_budget = 100, genome = new { traits = new { exploration = 0.5, creativity = 0.5, efficiency = 0.5, risk = 0.5 }, strategies = new[] { "simplify" }, mutation_rate = 0.9 } }, "genome.mutation_rate"),
                     (new { goal = "g", token_budget = 100, parent_ids = new[] { "agent_999999" } }, "parent_ids"),
                 })
        {
            var response = await client.PostAsJsonAsync("/api/v1/agents", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
            Assert.True(errors.TryGetProperty(field, out _), $"{field} not named in {errors}");
        }
        var agents = await client.GetFromJsonAsync<JsonElement>("/api/v1/agents?limit=1");
        Assert.True(agents.GetProperty("agents").GetArrayLength() <= 1);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/v1/agents?status=sleeping")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/agents/agent_999999")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/api/v1/agents/agent_999999/evolve", new { })).StatusCode);
        var first = (await client.GetFromJsonAsync<JsonElement>("/api/v1/agents?status=active&limit=1")).GetProperty("agents");
        if (first.GetArrayLength() == 1)
        {
            var unknown = await client.PostAsJsonAsync($"/api/v1/agents/{first[0].GetProperty("id").GetString()}/evolve", new { @operator = "oracle" });
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        }
    }

    [Fact]
    public async Task A_builtin_proposal_of_a_program_already_evaluated_is_drawn_again()
    {
        var client = await OperatorAsync();
        var genome = new { traits = new { exploration = 0.5, creativity = 0.5, efficiency = 0.5, risk = 0.5 }, strategies = new[] { "tune-constants" }, mutation_rate = 0.2 };
        var first = (await SpawnAsync(client, 20_000, new { genome })).GetProperty("id").GetString()!;
        var second = (await SpawnAsync(client, 20_000, new { genome })).GetProperty("id").GetString()!;
        const int seed = 424_242;
        var a = await EvolveAsync(client, first, new { seed });
        var b = await EvolveAsync(client, second, new { seed });

        // Same program, same genome, same seed: the second agent's first draw is the first agent's candidate, so it drew again.
        Assert.Equal(seed, a.GetProperty("seed").GetInt32());
        Assert.True(b.GetProperty("seed").GetInt32() > seed, b.ToString());
        var diffA = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{first}/candidates")).GetProperty("candidates")[0].GetProperty("diff").GetString();
        var diffB = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{second}/candidates")).GetProperty("candidates")[0].GetProperty("diff").GetString();
        Assert.NotEqual(diffA, diffB);

        // Asked to keep the seed's proposal, a third agent evaluates that same program again.
        var third = (await SpawnAsync(client, 20_000, new { genome })).GetProperty("id").GetString()!;
        var c = await EvolveAsync(client, third, new { seed, redraw_known_programs = false });
        Assert.Equal(seed, c.GetProperty("seed").GetInt32());
        Assert.Equal(diffA, (await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{third}/candidates")).GetProperty("candidates")[0].GetProperty("diff").GetString());
    }

    [Fact]
    public void A_programs_hash_is_its_files_after_the_changes_in_any_order()
    {
        var a = new Dean.IndexAgent.Operators.EvolveFile("a.py", "x = 1\n", []);
        var b = new Dean.IndexAgent.Operators.EvolveFile("b.py", "y = 2\n", []);
        var changed = new Dictionary<string, string> { ["a.py"] = "x = 3\n" };
        Assert.Equal(Dean.IndexAgent.Agents.ProgramHash.Of([a, b], changed), Dean.IndexAgent.Agents.ProgramHash.Of([b, a], changed));
        Assert.Equal(Dean.IndexAgent.Agents.ProgramHash.Of([a with { Content = "x = 3\n" }, b], new Dictionary<string, string>()),
            Dean.IndexAgent.Agents.ProgramHash.Of([a, b], changed));
        Assert.NotEqual(Dean.IndexAgent.Agents.ProgramHash.Of([a, b], changed), Dean.IndexAgent.Agents.ProgramHash.Of([a, b], new Dictionary<string, string>()));
        // Path and content are delimited: moving text between them changes the hash.
        Assert.NotEqual(Dean.IndexAgent.Agents.ProgramHash.Of([new("ab", "c", [])], new Dictionary<string, string>()),
            Dean.IndexAgent.Agents.ProgramHash.Of([new("a", "bc", [])], new Dictionary<string, string>()));
    }

    [Fact]
    public async Task A_step_with_the_llm_operator_asks_the_provider_and_pays_its_reported_usage()
    {
        var client = await OperatorAsync();
        var id = (await SpawnAsync(client, 50_000)).GetProperty("id").GetString()!;
        var asked = fx.Llm.Requests.Count;
        var step = await EvolveAsync(client, id, new { @operator = "llm" });

        // One chat-completions call, authenticated with the configured key, showing the agent's program.
        var request = fx.Llm.Requests.Skip(asked).Single();
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer sk-dean-tests", request.Authorization);
        Assert.Equal("dean-stand-in", request.Body.GetProperty("model").GetString());
        var prompt = ChatCompletionsStandIn.UserMessage(request.Body);
        Assert.Contains("EVOLVE-BLOCK-START", prompt);
        Assert.Contains("step = 2.0", prompt);

        // Its edit was applied and evaluated, and the provider's usage is what was charged.
        Assert.Equal("llm", step.GetProperty("operator").GetString());
        Assert.Equal("passed", step.GetProperty("evaluation").GetString());
        Assert.Equal(prompt.Length / 4 + 40, step.GetProperty("tokens_used").GetInt64());
        var candidate = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}/candidates")).GetProperty("candidates")[0];
        Assert.Contains("-    step = 2.0", candidate.GetProperty("diff").GetString());
        Assert.Contains("+    step = 1.5", candidate.GetProperty("diff").GetString());
        var account = await (await fx.ClientAsync("economy", "viewer")).GetFromJsonAsync<JsonElement>($"/api/v1/economy/agents/{id}");
        Assert.Equal(step.GetProperty("tokens_used").GetInt64(), account.GetProperty("consumed").GetInt64());
    }

    [Fact]
    public async Task A_candidate_with_a_syntax_error_is_recorded_check_failed_and_never_evaluated()
    {
        var client = await OperatorAsync();
        using var repo = new TempDirectory();
        using var witness = new EvaluationWitness();
        repo.Write("dean.json", $$"""{"name": "breaks", "evolve": ["program.py"], "evaluate": "{{witness.Command.Replace("\"", "\\\"")}}; python3 program.py", "network": true}""");
        repo.Write("program.py", $"{DeanAppFixture.BrokenAnswerMarker}\nstep = 2.0\nprint('{{\"score\": %s}}' % (10 - step))\n");
        repo.Commit();
        var registered = await (await AdminAsync()).PostAsJsonAsync("/api/v1/targets", new { name = $"breaks-{Guid.NewGuid():N}"[..20], repository = repo.Path });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var name = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString();
        var spawned = await client.PostAsJsonAsync("/api/v1/agents", new { goal = "g", target = name, token_budget = 50_000 });
        var id = (await spawned.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.Equal(1, await witness.RunsAsync(atLeast: 1)); // the spawn measured the starting program

        var step = await EvolveAsync(client, id, new { @operator = "llm" });

        Assert.Equal("check_failed", step.GetProperty("evaluation").GetString());
        Assert.Equal("check_failed", step.GetProperty("reason").GetString());
        Assert.False(step.GetProperty("accepted").GetBoolean());
        Assert.Contains("SyntaxError", step.GetProperty("feedback").GetString());
        Assert.Equal(1, await witness.RunsAsync()); // the evaluator never ran for it
        var candidate = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}/candidates")).GetProperty("candidates")[0];
        Assert.Equal("check_failed", candidate.GetProperty("evaluation").GetString());
        Assert.Contains("+step = (1.5", candidate.GetProperty("diff").GetString());
        Assert.Equal("step = 2.0", File.ReadAllLines(Path.Combine((await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}")).GetProperty("worktree_path").GetString()!, "program.py"))[1]);
    }

    [Fact]
    public async Task An_evaluator_a_candidate_rewrote_is_back_as_committed_for_the_next_evaluation()
    {
        var client = await OperatorAsync();
        using var repo = new TempDirectory();
        // Every run scores 1, leaves a file behind and then rewrites the evaluator to answer 1000, as a hostile candidate would.
        const string evaluator = "echo '{\"score\": 1}'\necho planted > planted.txt\necho \"echo '{\\\"score\\\": 1000}'\" > evaluate.sh\n";
        repo.Write("dean.json", """{"name": "tampers", "evolve": ["program.py"], "evaluate": "sh evaluate.sh"}""");
        repo.Write("evaluate.sh", evaluator);
        repo.Write("program.py", "x = 1.0\n");
        repo.Commit();
        var registered = await (await AdminAsync()).PostAsJsonAsync("/api/v1/targets", new { name = $"tampers-{Guid.NewGuid():N}"[..20], repository = repo.Path });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var name = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString();
        var spawned = await client.PostAsJsonAsync("/api/v1/agents", new { goal = "g", target = name, token_budget = 50_000 });
        var agent = await spawned.Content.ReadFromJsonAsync<JsonElement>();
        var id = agent.GetProperty("id").GetString()!;
        var worktree = agent.GetProperty("worktree_path").GetString()!;
        Assert.Equal(1.0, agent.GetProperty("fitness").GetDouble());

        for (var i = 0; i < 3; i++)
        {
            var step = await EvolveAsync(client, id, new { seed = 100 + i });
            // Had the rewritten evaluator run, a step would have scored 1000.
            Assert.NotEqual(1000.0, step.GetProperty("score").ValueKind == JsonValueKind.Number ? step.GetProperty("score").GetDouble() : 0);
            Assert.Equal(evaluator, File.ReadAllText(Path.Combine(worktree, "evaluate.sh")));
            Assert.False(File.Exists(Path.Combine(worktree, "planted.txt")));
        }
    }

    [Theory]
    [InlineData("openevolve", "initial_program.py")]
    [InlineData("shinka", "initial.py")]
    public async Task A_peer_task_registers_without_a_task_file_and_evolves(string format, string program)
    {
        using var repo = TempDirectory.FromPeerTask(format);
        repo.Commit();
        var registered = await (await AdminAsync()).PostAsJsonAsync("/api/v1/targets", new { name = $"{format}-{Guid.NewGuid():N}"[..20], repository = repo.Path });
        var target = await registered.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(registered.StatusCode == HttpStatusCode.Created, target.ToString());
        Assert.Equal(format, target.GetProperty("format").GetString());
        Assert.Equal([program], target.GetProperty("task").GetProperty("evolve").EnumerateArray().Select(e => e.GetString()));

        var client = await OperatorAsync();
        var spawned = await client.PostAsJsonAsync("/api/v1/agents", new { goal = "get closer to the target", target = target.GetProperty("name").GetString(), token_budget = 200_000 });
        var agent = await spawned.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(spawned.StatusCode == HttpStatusCode.Created, agent.ToString());
        var id = agent.GetProperty("id").GetString()!;
        Assert.Equal(1.0 / 14.0, agent.GetProperty("fitness").GetDouble(), 9);
        var accepted = 0;
        for (var step = 0; step < 30 && accepted < 2; step++)
        {
            var result = await EvolveAsync(client, id, new { seed = step });
            // One stage (the peer's evaluate), recorded with its score and duration on the step and on the candidate.
            Assert.Equal([1], result.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("stage").GetInt32()));
            if (result.GetProperty("accepted").GetBoolean()) accepted++;
        }
        Assert.Equal(2, accepted);
        var candidates = await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}/candidates?limit=100");
        var last = candidates.GetProperty("candidates").EnumerateArray().Last();
        Assert.Equal(JsonValueKind.Number, last.GetProperty("stages")[0].GetProperty("duration_ms").ValueKind);
        var after = await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}");
        Assert.True(after.GetProperty("fitness").GetDouble() > 1.0 / 14.0);
    }

    [Fact]
    public async Task The_llm_prompt_carries_the_evaluators_artifacts_of_the_current_program_and_the_feedback_on_the_last_attempt()
    {
        using var repo = TempDirectory.FromPeerTask("openevolve");
        repo.Commit();
        var registered = await (await AdminAsync()).PostAsJsonAsync("/api/v1/targets", new { name = $"artifacts-{Guid.NewGuid():N}"[..20], repository = repo.Path });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var client = await OperatorAsync();
        var spawned = await client.PostAsJsonAsync("/api/v1/agents", new
        {
            goal = "get closer", target = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString(), token_budget = 100_000,
        });
        var id = (await spawned.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        async Task<string> PromptOfNextLlmStepAsync()
        {
            var asked = fx.Llm.Requests.Count;
            await EvolveAsync(client, id, new { @operator = "llm" });
            return ChatCompletionsStandIn.UserMessage(fx.Llm.Requests.Skip(asked).Single().Body);
        }
        // The starting program's artifacts, from the evaluation at spawn.
        var first = await PromptOfNextLlmStepAsync();
        Assert.Contains("Evaluator feedback on the current program: hint: squared distance to the target 13.0000", first);
        // The stand-in's edit does not fit this program: the next prompt says so, and still shows the current program's artifacts.
        var second = await PromptOfNextLlmStepAsync();
        Assert.Contains("Evaluator feedback on the current program: hint: squared distance to the target 13.0000", second);
        Assert.Contains("Evaluator feedback on the last attempt: ", second);
    }

    [Fact]
    public async Task An_evaluator_probing_the_running_system_finds_nothing_and_is_scored()
    {
        var client = await OperatorAsync();
        // Another agent's worktree, and the IndexAgent's own processes (whose environment holds its connection strings).
        var other = (await SpawnAsync(client, 50_000)).GetProperty("worktree_path").GetString()!;
        using var repo = new TempDirectory();
        repo.Write("attack.py", SandboxEscapeTests.Attack);
        var workspace = Path.GetDirectoryName(Path.GetDirectoryName(other))!;
        repo.Write("dean.json", $$"""{"name": "probes", "evolve": ["attack.py"], "evaluate": "python3 attack.py read {{other}}/program.py {{workspace}} /proc/1/environ ConnectionStrings__"}""");
        repo.Commit();
        var registered = await (await AdminAsync()).PostAsJsonAsync("/api/v1/targets", new { name = $"probes-{Guid.NewGuid():N}"[..20], repository = repo.Path });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var name = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString();

        var agent = await (await client.PostAsJsonAsync("/api/v1/agents", new { goal = "g", target = name, token_budget = 50_000 })).Content.ReadFromJsonAsync<JsonElement>();
        // Scored at spawn: the count of what got through, which is nothing.
        Assert.True(agent.GetProperty("fitness").ValueKind == JsonValueKind.Number && agent.GetProperty("fitness").GetDouble() == 0, agent.ToString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/targets")).StatusCode);
    }

    [Fact]
    public async Task A_hanging_evaluator_is_killed_and_the_service_keeps_answering()
    {
        var client = await OperatorAsync();
        using var repo = new TempDirectory();
        repo.Write("dean.json", """{"name": "hangs", "evolve": ["program.py"], "evaluate": "sleep 600", "timeoutSeconds": 1}""");
        repo.Write("program.py", "x = 1\n");
        repo.Commit();
        var registered = await (await AdminAsync()).PostAsJsonAsync("/api/v1/targets", new { name = $"hangs-{Guid.NewGuid():N}"[..20], repository = repo.Path });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var name = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString();

        var stopwatch = Stopwatch.StartNew();
        var spawn = client.PostAsJsonAsync("/api/v1/agents", new { goal = "g", target = name, token_budget = 1000 });
        // While the evaluator hangs, the service still answers.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/targets")).StatusCode);
        var response = await spawn;
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        // Not a speed goal: the spawn waited for the 1 s timeout and not for the 600 s sleep.
        Assert.InRange(stopwatch.Elapsed.TotalSeconds, 0.9, 300);
        var agent = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Null, agent.GetProperty("fitness").ValueKind);

        var metrics = await fx.Client("indexagent").GetStringAsync("/metrics");
        Assert.Matches("dean_evaluations_total\\{[^}]*result=\"timeout\"[^}]*\\} [1-9]", metrics);
        Assert.Contains("dean_agents_active_total", metrics);
        Assert.Contains("dean_evaluation_duration_seconds_bucket{", metrics);
        var ps = Process.Start(new ProcessStartInfo("pgrep", "-f \"^sleep 600$\"") { RedirectStandardOutput = true })!;
        await ps.WaitForExitAsync();
        Assert.Equal("", (await ps.StandardOutput.ReadToEndAsync()).Trim());
    }

    [Fact]
    public async Task Metrics_are_exported_and_the_active_gauge_counts_active_agents()
    {
        var metrics = await fx.Client("indexagent").GetStringAsync("/metrics");
        Assert.Contains("# TYPE dean_agents_active_total gauge", metrics);
        Assert.Matches("dean_evaluations_total\\{[^}]*result=\"passed\"", metrics);

        var client = await fx.ClientAsync("indexagent", "viewer");
        var active = (await client.GetFromJsonAsync<JsonElement>("/api/v1/agents?status=active&limit=1")).GetProperty("total").GetInt64();
        string? exported = null;
        for (var attempt = 0; attempt < 20 && exported != active.ToString(); attempt++)
        {
            // The exporter caches a scrape for a moment; poll until it reflects the current count.
            if (attempt > 0) await Task.Delay(250);
            var line = (await fx.Client("indexagent").GetStringAsync("/metrics")).Split('\n').First(l => l.StartsWith("dean_agents_active_total", StringComparison.Ordinal));
            exported = line.Split(' ')[^1].Trim();
        }
        Assert.Equal(active.ToString(), exported);
    }

    [Fact]
    public async Task Concurrent_steps_of_one_agent_are_serialised_and_the_ledger_still_matches()
    {
        var client = await OperatorAsync();
        var agent = await SpawnAsync(client, 20_000);
        var id = agent.GetProperty("id").GetString()!;
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => EvolveAsync(client, id, new { seed = 500 + i })));
        Assert.Equal(4, results.Select(r => r.GetProperty("candidate_id").GetString()).Distinct().Count());
        Assert.Equal("", TempDirectory.RunGit(agent.GetProperty("worktree_path").GetString()!, "status", "--porcelain"));

        var details = await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}");
        var sum = results.Sum(r => r.GetProperty("tokens_used").GetInt64());
        Assert.Equal(sum, details.GetProperty("token_budget").GetProperty("used").GetInt64());
        Assert.Equal(4, details.GetProperty("steps").GetInt32());
        var account = await (await fx.ClientAsync("economy", "viewer")).GetFromJsonAsync<JsonElement>($"/api/v1/economy/agents/{id}");
        Assert.Equal(sum, account.GetProperty("consumed").GetInt64());
        // Each accepted step starts from the fitness the previous accepted one reached.
        var best = results.Where(r => r.GetProperty("accepted").GetBoolean()).Select(r => r.GetProperty("score").GetDouble()).DefaultIfEmpty(agent.GetProperty("fitness").GetDouble()).Max();
        Assert.Equal(best, details.GetProperty("fitness").GetDouble(), 9);
    }
}

/// <summary>The .NET sample end to end: its evaluator gates on <c>dotnet test</c> and scores comparisons (tens of seconds).</summary>
[Collection(DeanAppCollection.Name)]
public sealed class CSharpSampleTests(DeanAppFixture fx, ITestOutputHelper output)
{
    [Fact]
    public async Task The_csharp_sample_is_measured_at_spawn_and_judged_by_dotnet_test()
    {
        var client = await fx.ClientAsync("indexagent", "operator");
        var name = $"csharp-{Guid.NewGuid():N}"[..16];
        var registered = await (await fx.ClientAsync("indexagent", "admin")).PostAsJsonAsync("/api/v1/targets", new { name, repository = Path.Combine(TempDirectory.SamplesRoot, "csharp-sorting") });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);

        var genome = new { traits = new { exploration = 0.5, creativity = 0.5, efficiency = 0.5, risk = 0.5 }, strategies = new[] { "tune-constants" }, mutation_rate = 0.1 };
        var spawn = await client.PostAsJsonAsync("/api/v1/agents", new { goal = "fewer comparisons", target = name, token_budget = 50_000, genome });
        var agent = await spawn.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(spawn.StatusCode == HttpStatusCode.Created, agent.ToString());
        // The measured property of the starting commit: minus comparisons per n·log2(n), so a negative number.
        Assert.True(agent.GetProperty("fitness").ValueKind == JsonValueKind.Number, agent.ToString());
        var fitness = agent.GetProperty("fitness").GetDouble();
        Assert.InRange(fitness, -100, -1);

        var step = await (await client.PostAsJsonAsync($"/api/v1/agents/{agent.GetProperty("id").GetString()}/evolve", new { seed = 1 })).Content.ReadFromJsonAsync<JsonElement>();
        output.WriteLine(step.ToString());
        Assert.Equal("tune-constants", step.GetProperty("edit_kind").GetString());
        Assert.Contains(step.GetProperty("evaluation").GetString(), new[] { "passed", "failed" });
        // A passing edit is scored by the measure (it may tie); a failing one was stopped by `dotnet test`.
        if (step.GetProperty("evaluation").GetString() == "passed") Assert.InRange(step.GetProperty("score").GetDouble(), -1000, 0);
        else Assert.Contains("dotnet test failed", step.GetProperty("reason").GetString());
        Assert.Equal(step.GetProperty("score").ValueKind == JsonValueKind.Number && step.GetProperty("score").GetDouble() > fitness,
            step.GetProperty("accepted").GetBoolean());
    }
}
