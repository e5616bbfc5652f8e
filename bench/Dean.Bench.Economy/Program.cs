using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Dapper;
using Dean.Bench.Economy;
using Dean.Contracts.Economy;
using Dean.Economy.Reservations;
using Dean.ServiceDefaults.Auth;
using Microsoft.Extensions.Options;
using Npgsql;

// Reserve+settle throughput of the Economy over HTTP (64 concurrent clients) beside the raw rate of the two SQL
// statements that path is built on, against the same PostgreSQL in the same run, then a contended run on one agent
// and an overspend audit. Usage: dotnet run -c Release --project bench/Dean.Bench.Economy -- [--seconds 15] [--clients 64]
var seconds = Arg("--seconds", 15);
var clients = Arg("--clients", 64);
var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
const long Reserve = 100, Charge = 60;

await using var servers = new LocalServers();
Console.WriteLine($"==> starting PostgreSQL, Redis and Dean.Economy ({configuration}) on {Environment.ProcessorCount} cores");
await servers.StartPostgresAsync();
await servers.StartRedisAsync();
var signingKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
await servers.StartEconomyAsync(signingKey, configuration);

var issuer = new TokenIssuer(Options.Create(new JwtOptions { SigningKey = signingKey }), TimeProvider.System);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    BaseAddress = servers.EconomyUrl,
};
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issuer.Issue("svc:bench", Roles.Admin, TimeSpan.FromHours(2)));
(await http.PutAsJsonAsync("/api/v1/economy/budget", new { new_budget = 1_000_000_000_000L })).EnsureSuccessStatusCode();

var agents = Enumerable.Range(0, clients).Select(i => $"bench-{i}").ToArray();
foreach (var agent in agents)
    (await http.PostAsJsonAsync("/api/v1/economy/allocate", new { agent_id = agent, requested_tokens = 5_000_000_000L, priority = "normal" })).EnsureSuccessStatusCode();

await using var db = NpgsqlDataSource.Create(servers.PostgresConnectionString);
var store = new ReservationStore(db);

async Task<(long Pairs, double Elapsed, List<double> PairMs, List<double> RequestMs, long Errors)> RunAsync(
    TimeSpan duration, Func<string, List<double>, Task<bool>> pair)
{
    var pairMs = new List<double>[clients];
    var requestMs = new List<double>[clients];
    var errors = 0L;
    var pairs = 0L;
    var stopwatch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
    {
        pairMs[i] = new List<double>(100_000);
        requestMs[i] = new List<double>(200_000);
        while (stopwatch.Elapsed < duration)
        {
            var start = Stopwatch.GetTimestamp();
            if (await pair(agents[i], requestMs[i]))
            {
                pairMs[i].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Interlocked.Increment(ref pairs);
            }
            else Interlocked.Increment(ref errors);
        }
    })));
    return (pairs, stopwatch.Elapsed.TotalSeconds, pairMs.SelectMany(x => x).ToList(), requestMs.SelectMany(x => x).ToList(), errors);
}

async Task<bool> HttpPairAsync(string agent, List<double> latencies)
{
    var t0 = Stopwatch.GetTimestamp();
    using var reserve = await http.PostAsJsonAsync("/api/v1/economy/reserve", new { agent_id = agent, tokens = Reserve, idempotency_key = Guid.NewGuid().ToString("N") });
    latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    if (reserve.StatusCode != HttpStatusCode.Created) return false;
    var reservation = await reserve.Content.ReadFromJsonAsync<ReservationResponse>(Microsoft.Extensions.Hosting.Extensions.DeanJson);
    var t1 = Stopwatch.GetTimestamp();
    using var settle = await http.PostAsJsonAsync("/api/v1/economy/settle", new { reservation_id = reservation!.ReservationId, actual_tokens = Charge, idempotency_key = Guid.NewGuid().ToString("N") });
    latencies.Add(Stopwatch.GetElapsedTime(t1).TotalMilliseconds);
    return settle.StatusCode == HttpStatusCode.OK;
}

async Task<bool> SqlPairAsync(string agent, List<double> latencies)
{
    var t0 = Stopwatch.GetTimestamp();
    var reserved = await store.ReserveAsync(agent, Reserve, Guid.NewGuid().ToString("N"), 300, CancellationToken.None);
    latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    if (reserved.Value is not { } r) return false;
    var t1 = Stopwatch.GetTimestamp();
    var settled = await store.CloseAsync(r.ReservationId, CloseMode.Settle, Charge, 0, Guid.NewGuid().ToString("N"), CancellationToken.None);
    latencies.Add(Stopwatch.GetElapsedTime(t1).TotalMilliseconds);
    return settled.Value is not null;
}

Console.WriteLine("==> warm-up (3 s each)");
var warm = await RunAsync(TimeSpan.FromSeconds(3), HttpPairAsync);
var warmSql = await RunAsync(TimeSpan.FromSeconds(3), SqlPairAsync);

// CPU per pair is reported beside the rates: on a shared 2-core machine the rates move with other load, CPU cost does not.
Console.WriteLine($"==> HTTP: {clients} clients, {seconds} s");
var cpu0 = servers.CpuSeconds();
var viaHttp = await RunAsync(TimeSpan.FromSeconds(seconds), HttpPairAsync);
var cpu1 = servers.CpuSeconds();
Console.WriteLine($"==> SQL statements directly: {clients} connections, {seconds} s");
var viaSql = await RunAsync(TimeSpan.FromSeconds(seconds), SqlPairAsync);
var cpu2 = servers.CpuSeconds();

// Contended: every client on one agent whose allocation runs out part-way; nothing may be overspent.
Console.WriteLine("==> contended: all clients on one agent with 30,000 tokens, HTTP, 5 s");
const string hot = "bench-contended";
(await http.PostAsJsonAsync("/api/v1/economy/allocate", new { agent_id = hot, requested_tokens = 30_000, priority = "normal" })).EnsureSuccessStatusCode();
var contendedAgents = Enumerable.Repeat(hot, clients).ToArray();
var contendedPairs = 0L;
var contendedRefusals = 0L;
var sw = Stopwatch.StartNew();
await Task.WhenAll(contendedAgents.Select(agent => Task.Run(async () =>
{
    var scratch = new List<double>();
    while (sw.Elapsed < TimeSpan.FromSeconds(5))
    {
        if (await HttpPairAsync(agent, scratch)) Interlocked.Increment(ref contendedPairs);
        else Interlocked.Increment(ref contendedRefusals);
    }
})));

await using var audit = await db.OpenConnectionAsync();
var totals = await audit.QuerySingleAsync<(long Consumed, long Reserved, long Overspent)>(
    "SELECT COALESCE(sum(consumed), 0)::bigint, COALESCE(sum(reserved), 0)::bigint, count(*) FILTER (WHERE consumed + reserved + suballocated > allocated) FROM economy_accounts WHERE account_id LIKE 'bench-%' AND account_id <> @hot",
    new { hot });
var contended = await audit.QuerySingleAsync<(long Allocated, long Consumed, long Reserved)>("SELECT allocated, consumed, reserved FROM economy_accounts WHERE account_id = @hot", new { hot });
var expectedConsumed = (warm.Pairs + warmSql.Pairs + viaHttp.Pairs + viaSql.Pairs) * Charge;

static double P(List<double> xs, double q)
{
    if (xs.Count == 0) return double.NaN;
    xs.Sort();
    return xs[(int)Math.Round(q * (xs.Count - 1))];
}

var httpRate = viaHttp.Pairs / viaHttp.Elapsed;
var sqlRate = viaSql.Pairs / viaSql.Elapsed;
Console.WriteLine();
Console.WriteLine($"| path | pairs/s | statements or requests/s | pair p50 | pair p99 | request p50 | request p99 | errors |");
Console.WriteLine($"|---|---|---|---|---|---|---|---|");
Console.WriteLine($"| HTTP (reserve+settle) | {httpRate:F0} | {2 * httpRate:F0} | {P(viaHttp.PairMs, 0.5):F2} ms | {P(viaHttp.PairMs, 0.99):F2} ms | {P(viaHttp.RequestMs, 0.5):F2} ms | {P(viaHttp.RequestMs, 0.99):F2} ms | {viaHttp.Errors} |");
Console.WriteLine($"| SQL statements only | {sqlRate:F0} | {2 * sqlRate:F0} | {P(viaSql.PairMs, 0.5):F2} ms | {P(viaSql.PairMs, 0.99):F2} ms | {P(viaSql.RequestMs, 0.5):F2} ms | {P(viaSql.RequestMs, 0.99):F2} ms | {viaSql.Errors} |");
Console.WriteLine();
Console.WriteLine($"HTTP / raw SQL ratio: {httpRate / sqlRate:P0}");
string PerPair(double seconds, long pairs) => pairs == 0 ? "-" : $"{seconds * 1000 / pairs:F2} ms";
Console.WriteLine($"CPU per pair, HTTP: economy {PerPair(cpu1.Economy - cpu0.Economy, viaHttp.Pairs)}, postgres {PerPair(cpu1.Postgres - cpu0.Postgres, viaHttp.Pairs)}, " +
                  $"client {PerPair(cpu1.Bench - cpu0.Bench, viaHttp.Pairs)}");
Console.WriteLine($"CPU per pair, SQL:  postgres {PerPair(cpu2.Postgres - cpu1.Postgres, viaSql.Pairs)}, client (Npgsql) {PerPair(cpu2.Bench - cpu1.Bench, viaSql.Pairs)}");
Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end");
Console.WriteLine($"Audit (64 agents): consumed {totals.Consumed:N0} (expected {expectedConsumed:N0}), reserved {totals.Reserved:N0}, overspent accounts {totals.Overspent}");
Console.WriteLine($"Contended agent: allocated {contended.Allocated:N0}, consumed {contended.Consumed:N0} by {contendedPairs:N0} pairs " +
                  $"(expected {contendedPairs * Charge:N0}), reserved {contended.Reserved:N0}, refusals {contendedRefusals:N0}");
var ok = totals.Overspent == 0 && totals.Consumed == expectedConsumed && totals.Reserved == 0
         && contended.Consumed + contended.Reserved <= contended.Allocated && contended.Consumed == contendedPairs * Charge;
Console.WriteLine(ok ? "Zero overspend: OK" : "OVERSPEND OR MISMATCH DETECTED");
return ok ? 0 : 1;

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}
