using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dean.Tests.Infrastructure;
using Npgsql;

namespace Dean.Tests.Population;

/// <summary>Agents on the fast sample, steps until one is accepted, and the shared database, for the population tests.</summary>
public sealed class PopulationKit(DeanAppFixture fx)
{
    public static readonly object UniformGenome = new
    {
        traits = new { exploration = 0.5, creativity = 0.5, efficiency = 0.5, risk = 0.5 },
        strategies = new[] { "tune-constants" },
        mutation_rate = 0.1,
    };

    public Task<HttpClient> OperatorAsync() => fx.ClientAsync("indexagent", "operator");

    /// <summary>Registering a target is an admin's: its evaluate command runs on the IndexAgent's machine.</summary>
    public Task<HttpClient> AdminAsync() => fx.ClientAsync("indexagent", "admin");

    public async Task<JsonElement> SpawnAsync(HttpClient client, long budget = 20_000, object? genome = null, string[]? parentIds = null)
    {
        var response = await client.PostAsJsonAsync("/api/v1/agents", new
        {
            goal = "lower the objective", target = "function-minimization", token_budget = budget, genome = genome ?? UniformGenome, parent_ids = parentIds,
        });
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"spawn: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> PostAsync(HttpClient client, string path, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected) throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Steps with seeds from <paramref name="firstSeed"/> on until one is accepted; returns that step.</summary>
    public static async Task<JsonElement> EvolveUntilAcceptedAsync(HttpClient client, string agentId, int generation, int firstSeed = 1, int maxSteps = 40)
    {
        for (var seed = firstSeed; seed < firstSeed + maxSteps; seed++)
        {
            var step = await PostAsync(client, $"/api/v1/agents/{agentId}/evolve", new { seed, generation });
            if (step.GetProperty("accepted").GetBoolean()) return step;
        }
        throw new InvalidOperationException($"{agentId}: no step accepted in {maxSteps} steps");
    }

    public static async Task<JsonElement> AgentAsync(HttpClient client, string id) => await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}");

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Database = "agent_evolution" };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public static string[] Ids(JsonElement array) =>
        array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetProperty("agent_id").GetString()!).ToArray();
}
