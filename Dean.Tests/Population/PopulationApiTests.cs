using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Dean.IndexAgent.Evolution;
using Dean.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dean.Tests.Population;

/// <summary>The population step, diversity and the pattern catalogue through the running AppHost (real agents, git, evaluator).</summary>
[Collection(DeanAppCollection.Name)]
public sealed class PopulationApiTests(DeanAppFixture fx, ITestOutputHelper output)
{
    private readonly PopulationKit kit = new(fx);

    [Fact]
    public async Task A_population_step_fires_the_rules_on_real_agents_and_a_repeat_changes_nothing()
    {
        var client = await kit.OperatorAsync();
        const int generation = 7;
        var agents = new List<JsonElement>();
        for (var i = 0; i < 5; i++) agents.Add(await kit.SpawnAsync(client, i < 2 ? 40_000 : 3_000));
        var ids = agents.Select(a => a.GetProperty("id").GetString()!).ToArray();
        // The first two improve in this generation; the ring is 1 1 0 0 0.
        foreach (var id in ids[..2]) await PopulationKit.EvolveUntilAcceptedAsync(client, id, generation);
        // A rejected or other-generation step does not count as improving.
        await PopulationKit.PostAsync(client, $"/api/v1/agents/{ids[2]}/evolve", new { seed = 1, generation = generation + 1 });
        var before = new Dictionary<string, JsonElement>();
        foreach (var id in ids) before[id] = await PopulationKit.AgentAsync(client, id);

        int[] rules = [110, 30, 90, 184, 1];
        var request = new { population_ids = ids, generation, ca_rules = rules, diversity_threshold = 0.95 };
        var result = await PopulationKit.PostAsync(client, "/api/v1/population/evolve", request);
        output.WriteLine(result.ToString());

        bool[] states = [true, true, false, false, false];
        foreach (var rule in rules)
        {
            var expected = Enumerable.Range(0, 5).Count(i => PopulationRuleEngine.FiresAt(rule, states, i));
            Assert.Equal(expected, result.GetProperty("ca_rules_fired").GetProperty(rule.ToString()).GetInt32());
        }
        var skipped = result.GetProperty("skipped").EnumerateArray().ToList();

        // Rule 110 fired at agents 0, 1 and 4: each a child of the fittest of its neighbourhood, or a reported refusal.
        var spawned = result.GetProperty("spawned").EnumerateArray().ToList();
        Assert.Equal(3, spawned.Count + skipped.Count(s => s.GetProperty("rule").GetInt32() == 110));
        foreach (var child in spawned)
        {
            var parentId = child.GetProperty("parent_id").GetString()!;
            var agent = await PopulationKit.AgentAsync(client, child.GetProperty("agent_id").GetString()!);
            Assert.Equal([parentId], agent.GetProperty("parent_ids").EnumerateArray().Select(p => p.GetString()!));
            Assert.Equal(before[parentId].GetProperty("generation").GetInt32() + 1, agent.GetProperty("generation").GetInt32());
            Assert.Equal(before[parentId].GetProperty("head_commit").GetString(), agent.GetProperty("base_commit").GetString());
            Assert.Equal(before[parentId].GetProperty("level").GetInt32(), agent.GetProperty("level").GetInt32());
            var parentProgram = await File.ReadAllTextAsync(Path.Combine(before[parentId].GetProperty("worktree_path").GetString()!, "program.py"));
            Assert.Equal(parentProgram, await File.ReadAllTextAsync(Path.Combine(agent.GetProperty("worktree_path").GetString()!, "program.py")));
        }

        // Rule 30 fired at agents 0, 2 and 4: forks start from the agent's commit.
        var forked = result.GetProperty("forked").EnumerateArray().ToList();
        Assert.Equal(3, forked.Count + skipped.Count(s => s.GetProperty("rule").GetInt32() == 30));
        foreach (var fork in forked)
        {
            var from = fork.GetProperty("forked_from").GetString()!;
            var agent = await PopulationKit.AgentAsync(client, fork.GetProperty("agent_id").GetString()!);
            Assert.Equal(before[from].GetProperty("head_commit").GetString(), agent.GetProperty("base_commit").GetString());
            Assert.Contains(from, agent.GetProperty("parent_ids").EnumerateArray().Select(p => p.GetString()));
        }

        // Rule 1 fired only at agent 3 (stagnant with both neighbours): retired within 30% of 5, unused tokens returned.
        Assert.Equal([ids[3]], PopulationKit.Ids(result.GetProperty("retired")));
        var retired = await PopulationKit.AgentAsync(client, ids[3]);
        Assert.Equal("retired", retired.GetProperty("status").GetString());
        Assert.False(Directory.Exists(retired.GetProperty("worktree_path").GetString()));
        Assert.True(result.GetProperty("retired")[0].GetProperty("tokens_returned").GetInt64() > 0);

        // Rule 90 abstracted the two accepted changes; rule 184 bred agents 0 and 2 with their fitter neighbour.
        Assert.NotEmpty(result.GetProperty("patterns_discovered").EnumerateArray());
        Assert.Equal([ids[0], ids[2]], result.GetProperty("crossovers").EnumerateArray().Select(c => c.GetProperty("agent_id").GetString()!).Order());

        // Below the threshold the defence intervened, and every intervention is recorded.
        var interventions = result.GetProperty("interventions").EnumerateArray().ToList();
        Assert.NotEmpty(interventions);
        Assert.True(result.GetProperty("diversity_before").GetDouble() < 0.95);
        await using (var db = await kit.OpenAsync())
        {
            var recorded = await db.ExecuteScalarAsync<long>("""
                SELECT count(*) FROM diversity_interventions i JOIN population_steps s ON s.id = i.step_id
                WHERE s.step_key LIKE @key
                """, new { key = $"agents:%{ids[0]}%:{generation}" });
            Assert.Equal(interventions.Count, recorded);
            // Each intervened agent now has the genome its last intervention produced.
            var mismatched = await db.ExecuteScalarAsync<long>("""
                SELECT count(*) FROM (
                    SELECT DISTINCT ON (i.agent_id) i.agent_id, i.genome_after FROM diversity_interventions i
                    JOIN population_steps s ON s.id = i.step_id WHERE s.step_key LIKE @key ORDER BY i.agent_id, i.id DESC) last
                JOIN agents a ON a.id = last.agent_id WHERE a.genome <> last.genome_after
                """, new { key = $"agents:%{ids[0]}%:{generation}" });
            Assert.Equal(0, mismatched);
        }

        // The same (population, generation) again: the same answer, nothing new.
        var total = (await client.GetFromJsonAsync<JsonElement>("/api/v1/agents?limit=1")).GetProperty("total").GetInt64();
        var again = await PopulationKit.PostAsync(client, "/api/v1/population/evolve", request);
        Assert.True(again.GetProperty("replayed").GetBoolean());
        foreach (var field in new[] { "ca_rules_fired", "spawned", "forked", "retired", "crossovers", "interventions", "patterns_discovered" })
            Assert.Equal(result.GetProperty(field).ToString(), again.GetProperty(field).ToString());
        Assert.Equal(result.GetProperty("diversity_after").GetDouble(), again.GetProperty("diversity_after").GetDouble());
        Assert.Equal(total, (await client.GetFromJsonAsync<JsonElement>("/api/v1/agents?limit=1")).GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Identical_agents_have_diversity_zero_and_injected_mutation_raises_it()
    {
        var client = await kit.OperatorAsync();
        var ids = new[] { (await kit.SpawnAsync(client, 1_000)).GetProperty("id").GetString()!, (await kit.SpawnAsync(client, 1_000)).GetProperty("id").GetString()! };
        var viewer = await fx.ClientAsync("indexagent", "viewer");
        var measured = await PopulationKit.PostAsync(viewer, "/api/v1/diversity/population", new { population_ids = ids });
        Assert.Equal(0.0, measured.GetProperty("diversity").GetDouble());
        Assert.Equal(0.0, measured.GetProperty("components").GetProperty("code").GetDouble());
        Assert.Equal("critical", measured.GetProperty("recommendation").GetString());
        Assert.Equal(0.3, measured.GetProperty("threshold").GetDouble());

        var injected = await PopulationKit.PostAsync(client, "/api/v1/diversity/inject-mutation", new { population_ids = ids, mutation_strength = 0.5, seed = 3 });
        Assert.Equal(0.0, injected.GetProperty("diversity_before").GetDouble());
        Assert.True(injected.GetProperty("diversity_after").GetDouble() > 0, injected.ToString());
        Assert.Equal(2, injected.GetProperty("agents_mutated").GetInt32());
        Assert.Equal(2, injected.GetProperty("mutations_applied").GetArrayLength());

        // The mutated genomes were persisted: measuring again sees them.
        var after = await PopulationKit.PostAsync(viewer, "/api/v1/diversity/population", new { population_ids = ids });
        Assert.Equal(injected.GetProperty("diversity_after").GetDouble(), after.GetProperty("diversity").GetDouble(), 9);
        foreach (var range in new[] { "traits", "strategies" })
            Assert.InRange(after.GetProperty("components").GetProperty(range).GetDouble(), 0, 1);
    }

    [Fact]
    public async Task Accepted_changes_become_patterns_reuse_counts_propagation_applies_and_archive_archives()
    {
        var client = await kit.OperatorAsync();
        var first = (await kit.SpawnAsync(client, 40_000)).GetProperty("id").GetString()!;
        var second = (await kit.SpawnAsync(client, 40_000)).GetProperty("id").GetString()!;
        var third = (await kit.SpawnAsync(client, 40_000)).GetProperty("id").GetString()!;
        // The same seed on the same code and genome proposes the same change: found twice, by two agents.
        var a = await PopulationKit.EvolveUntilAcceptedAsync(client, first, 0);
        var b = await PopulationKit.PostAsync(client, $"/api/v1/agents/{second}/evolve",
            new { seed = a.GetProperty("seed").GetInt32(), generation = 0, redraw_known_programs = false });
        Assert.True(b.GetProperty("accepted").GetBoolean(), b.ToString());

        var discovered = await PopulationKit.PostAsync(client, "/api/v1/patterns/discover", new { });
        Assert.True(discovered.GetProperty("scanned").GetInt32() >= 2, discovered.ToString());
        var again = await PopulationKit.PostAsync(client, "/api/v1/patterns/discover", new { });
        Assert.Equal(0, again.GetProperty("scanned").GetInt32());

        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/patterns?limit=500&include_archived=true");
        var ours = list.GetProperty("patterns").EnumerateArray().Where(p => p.GetProperty("source_candidate_ids").EnumerateArray()
            .Any(c => c.GetString() == a.GetProperty("candidate_id").GetString() || c.GetString() == b.GetProperty("candidate_id").GetString())).ToList();
        // One pattern holds both sightings (other agents of this run may have found the same change before: it counts them too).
        var pattern = Assert.Single(ours);
        var sources = pattern.GetProperty("source_candidate_ids").EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.Contains(a.GetProperty("candidate_id").GetString()!, sources);
        Assert.Contains(b.GetProperty("candidate_id").GetString()!, sources);
        Assert.Equal(sources.Count, pattern.GetProperty("usage_count").GetInt32());
        if (sources.Count == 2) Assert.Equal(first, pattern.GetProperty("discovered_by").GetString());
        Assert.Contains(pattern.GetProperty("type").GetString(), new[] { "optimization", "structural", "behavioral", "emergent" });
        Assert.True(pattern.GetProperty("effectiveness").GetDouble() > 0);
        var id = pattern.GetProperty("id").GetString()!;
        var detail = await client.GetFromJsonAsync<JsonElement>($"/api/v1/patterns/{id}");
        Assert.False(string.IsNullOrWhiteSpace(detail.GetProperty("normalized_diff").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/patterns/pattern_none")).StatusCode);

        // Propagation: the third agent gets pattern:{id} as its only strategy; the builtin operator then applies it.
        var propagated = await PopulationKit.PostAsync(client, $"/api/v1/patterns/{id}/propagate", new { target_agents = new[] { third }, strategy = "exclusive" });
        Assert.Equal([third], PopulationKit.Ids(propagated.GetProperty("propagated")));
        Assert.Equal([$"pattern:{id}"], (await PopulationKit.AgentAsync(client, third)).GetProperty("genome").GetProperty("strategies").EnumerateArray().Select(s => s.GetString()!));
        var applied = await PopulationKit.PostAsync(client, $"/api/v1/agents/{third}/evolve", new { seed = 5 });
        Assert.Equal("apply-pattern", applied.GetProperty("edit_kind").GetString());
        Assert.Contains(id, applied.GetProperty("description").GetString());
        Assert.True(applied.GetProperty("diff_stats").GetProperty("lines_added").GetInt32() > 0, applied.ToString());

        // Archive: everything older than 0 days with usage below a large bound.
        var archived = await PopulationKit.PostAsync(client, "/api/v1/patterns/archive", new { older_than_days = 0, min_usage = 1_000_000 });
        Assert.True(archived.GetProperty("archived").GetInt32() >= 1);
        Assert.True((await client.GetFromJsonAsync<JsonElement>($"/api/v1/patterns/{id}")).GetProperty("archived").GetBoolean());
        Assert.DoesNotContain((await client.GetFromJsonAsync<JsonElement>("/api/v1/patterns?limit=500")).GetProperty("patterns").EnumerateArray(),
            p => p.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task The_same_change_found_by_two_agents_is_one_pattern_with_usage_two()
    {
        // A target of its own, with a constant no other test has: the change to it can only come from these two agents.
        var client = await kit.OperatorAsync();
        var name = $"pattern-{Guid.NewGuid():N}"[..20];
        var constant = $"knob_{Guid.NewGuid():N}"[..13];
        using var repo = new Dean.Tests.IndexAgent.TempDirectory();
        repo.Write("dean.json", $$"""{"name": "{{name}}", "evolve": ["program.py"], "evaluate": "python3 evaluate.py", "score": "score", "timeoutSeconds": 10}""");
        repo.Write("program.py", $"# EVOLVE-BLOCK-START\n{constant} = 1.0\n# EVOLVE-BLOCK-END\n");
        repo.Write("evaluate.py", $$"""
            import json, program
            value = program.{{constant}}
            print(json.dumps({"score": -abs(value - 3.0), "passed": True, "metrics": {}, "feedback": "distance to 3"}))
            """);
        repo.Commit();
        await PopulationKit.PostAsync(await kit.AdminAsync(), "/api/v1/targets", new { name, repository = repo.Path }, HttpStatusCode.Created);
        var genome = new { traits = new { exploration = 0.9, creativity = 0.5, efficiency = 0.5, risk = 0.5 }, strategies = new[] { "tune-constants" }, mutation_rate = 0.3 };
        string Spawned(JsonElement a) => a.GetProperty("id").GetString()!;
        async Task<JsonElement> SpawnOnAsync() => await PopulationKit.PostAsync(client, "/api/v1/agents",
            new { goal = "reach 3", target = name, token_budget = 20_000, genome }, HttpStatusCode.Created);
        var first = Spawned(await SpawnOnAsync());
        var second = Spawned(await SpawnOnAsync());
        var a = await PopulationKit.EvolveUntilAcceptedAsync(client, first, 0);
        var b = await PopulationKit.PostAsync(client, $"/api/v1/agents/{second}/evolve",
            new { seed = a.GetProperty("seed").GetInt32(), generation = 0, redraw_known_programs = false });
        Assert.True(b.GetProperty("accepted").GetBoolean(), b.ToString());

        await PopulationKit.PostAsync(client, "/api/v1/patterns/discover", new { });
        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/patterns?limit=500&include_archived=true");
        var pattern = Assert.Single(list.GetProperty("patterns").EnumerateArray(), p => p.GetProperty("discovered_by").GetString() == first);
        Assert.Equal(2, pattern.GetProperty("usage_count").GetInt32());
        Assert.Equal(new[] { a.GetProperty("candidate_id").GetString(), b.GetProperty("candidate_id").GetString() },
            pattern.GetProperty("source_candidate_ids").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("behavioral", pattern.GetProperty("type").GetString());
        Assert.Equal(2.0 / 3.0, pattern.GetProperty("confidence").GetDouble(), 9);
        var detail = await client.GetFromJsonAsync<JsonElement>($"/api/v1/patterns/{pattern.GetProperty("id").GetString()}");
        Assert.Contains(constant, detail.GetProperty("normalized_diff").GetString());
    }

    [Fact]
    public async Task Bad_requests_are_refused_and_change_nothing()
    {
        var client = await kit.OperatorAsync();
        var agent = (await kit.SpawnAsync(client, 1_000)).GetProperty("id").GetString()!;
        async Task BadAsync(string path, object body, string field)
        {
            var response = await client.PostAsJsonAsync(path, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {text}");
            Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
        }
        await BadAsync("/api/v1/population/evolve", new { generation = 1 }, "population_ids");
        await BadAsync("/api/v1/population/evolve", new { population_ids = new[] { agent } }, "generation");
        await BadAsync("/api/v1/population/evolve", new { population_ids = new[] { agent }, generation = 1, ca_rules = new[] { 118 } }, "ca_rules");
        await BadAsync("/api/v1/population/evolve", new { population_ids = new[] { agent }, generation = 1, diversity_threshold = 2 }, "diversity_threshold");
        await BadAsync("/api/v1/population/evolve", new { population_ids = new[] { "agent_none" }, generation = 1 }, "population_ids");
        await BadAsync("/api/v1/diversity/population", new { population_ids = Array.Empty<string>() }, "population_ids");
        await BadAsync("/api/v1/diversity/population", new { population_ids = new[] { agent, "agent_none" } }, "population_ids");
        await BadAsync("/api/v1/diversity/inject-mutation", new { population_ids = new[] { agent }, mutation_strength = 1.5 }, "mutation_strength");
        await BadAsync("/api/v1/patterns/archive", new { min_usage = 1 }, "older_than_days");
        await BadAsync("/api/v1/patterns/pattern_none/propagate", new { strategy = "add" }, "target_agents");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/v1/patterns?type=clever")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/api/v1/patterns/pattern_none/propagate", new { target_agents = new[] { agent } })).StatusCode);
        var malformed = await client.PostAsync("/api/v1/population/evolve", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        // Nothing changed: the agent's genome is the one it was spawned with.
        Assert.Equal(["tune-constants"], (await PopulationKit.AgentAsync(client, agent)).GetProperty("genome").GetProperty("strategies").EnumerateArray().Select(s => s.GetString()!));

        var anonymous = fx.Client("indexagent");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/population/evolve", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/patterns")).StatusCode);
        var viewer = await fx.ClientAsync("indexagent", "viewer");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/v1/population/evolve", new { population_ids = new[] { agent }, generation = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/v1/patterns/discover", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/v1/diversity/inject-mutation", new { population_ids = new[] { agent }, mutation_strength = 0.1 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/v1/maintenance/prune-worktrees", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/v1/patterns")).StatusCode);
    }

    [Fact]
    public async Task Prune_removes_orphaned_worktrees_only_and_metrics_exist_from_start_up()
    {
        var client = await kit.OperatorAsync();
        var agent = await kit.SpawnAsync(client, 1_000);
        var worktree = agent.GetProperty("worktree_path").GetString()!;
        var orphan = Path.Combine(Path.GetDirectoryName(worktree)!, "agent_orphan_" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(orphan);
        var pruned = await PopulationKit.PostAsync(client, "/api/v1/maintenance/prune-worktrees", new { });
        Assert.Contains(orphan, pruned.GetProperty("pruned").EnumerateArray().Select(p => p.GetString()));
        Assert.False(Directory.Exists(orphan));
        Assert.True(Directory.Exists(worktree));

        var metrics = await fx.Client("indexagent").GetStringAsync("/metrics");
        foreach (var type in new[] { "optimization", "structural", "behavioral", "emergent" })
            Assert.Matches($"dean_patterns_discovered_total\\{{[^}}]*type=\"{type}\"", metrics);
        foreach (var rule in new[] { 1, 30, 90, 110, 184 })
            Assert.Matches($"dean_ca_rule_firings_total\\{{[^}}]*rule=\"{rule}\"", metrics);
    }
}
