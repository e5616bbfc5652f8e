using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Dean.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;

// Framework overhead of one evolution step on the fast sample: everything a step costs besides running the evaluator
// (HTTP, reservation and settlement at the Economy, reading the scope, the operator, writing and restoring or committing,
// recording in PostgreSQL). Starts the whole AppHost in local mode, spawns one agent and runs N steps through the API.
//
//   dotnet run -c Release --project bench/Dean.Bench.Steps -- [steps=60]
var steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
var dataDirectory = Path.Combine(Path.GetTempPath(), $"dean-bench-{Guid.NewGuid():N}");
Directory.CreateDirectory(dataDirectory);
var adminPassword = "bench-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
var signingKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
try
{
    var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Dean_AppHost>(
    [
        "Infra:Mode=local", "Infra:FixedPorts=false", $"Infra:DataDir={dataDirectory}", $"DEAN_ADMIN_PASSWORD={adminPassword}",
        $"Parameters:jwt-signing-key={signingKey}",
    ]);
    await using var app = await builder.BuildAsync();
    await app.StartAsync();
    // The orchestrator is not needed: the benchmark signs its own operator token with the run's signing key.
    foreach (var resource in new[] { "postgres", "redis", "economy", "indexagent" })
        await app.ResourceNotifications.WaitForResourceHealthyAsync(resource).WaitAsync(TimeSpan.FromMinutes(3));

    var token = new TokenIssuer(Options.Create(new JwtOptions { SigningKey = signingKey }), TimeProvider.System).Issue("bench", Roles.Operator);
    var client = app.CreateHttpClient("indexagent", "http");
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

    var spawn = await client.PostAsJsonAsync("/api/v1/agents", new { goal = "benchmark", target = "function-minimization", token_budget = 1_000_000 });
    spawn.EnsureSuccessStatusCode();
    var id = (await spawn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

    // A few warm-up steps (JIT, connection pools) are not counted.
    for (var i = 0; i < 5; i++) (await client.PostAsJsonAsync($"/api/v1/agents/{id}/evolve", new { seed = -1 - i })).EnsureSuccessStatusCode();

    var wallOverhead = new List<double>();
    var serverOverhead = new List<double>();
    var evaluation = new List<double>();
    var accepted = 0;
    var phases = new Dictionary<string, List<double>>();
    for (var i = 0; i < steps; i++)
    {
        var stopwatch = Stopwatch.StartNew();
        var response = await client.PostAsJsonAsync($"/api/v1/agents/{id}/evolve", new { seed = i });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        stopwatch.Stop();
        response.EnsureSuccessStatusCode();
        var evaluationMs = body.GetProperty("evaluation_ms").GetInt64();
        evaluation.Add(evaluationMs);
        wallOverhead.Add(stopwatch.Elapsed.TotalMilliseconds - evaluationMs);
        serverOverhead.Add(body.GetProperty("duration_ms").GetInt64() - evaluationMs);
        if (body.GetProperty("accepted").GetBoolean()) accepted++;
        foreach (var p in body.GetProperty("timings_ms").EnumerateObject())
            (phases.TryGetValue(p.Name, out var list) ? list : phases[p.Name] = []).Add(p.Value.GetDouble());
    }
    var agent = await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{id}");

    static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Round(p * (sorted.Count - 1)))];
    }
    Console.WriteLine($"steps: {steps} on function-minimization ({accepted} accepted; fitness now {agent.GetProperty("fitness").GetDouble():F4}), {Environment.ProcessorCount} cores");
    Console.WriteLine($"evaluation ms           median {Percentile(evaluation, 0.5):F1}  p90 {Percentile(evaluation, 0.9):F1}");
    Console.WriteLine($"overhead ms (wall-eval) median {Percentile(wallOverhead, 0.5):F1}  p90 {Percentile(wallOverhead, 0.9):F1}");
    Console.WriteLine($"overhead ms (server)    median {Percentile(serverOverhead, 0.5):F1}  p90 {Percentile(serverOverhead, 0.9):F1}");
    Console.WriteLine("server phases ms (median): " + string.Join(", ", phases.Select(p => $"{p.Key} {Percentile(p.Value, 0.5):F1}")));
}
finally
{
    try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}
