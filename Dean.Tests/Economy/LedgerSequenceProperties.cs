using System.Net;
using System.Text.Json;
using Dapper;
using Dean.Tests.Infrastructure;
using FsCheck;
using FsCheck.Fluent;

namespace Dean.Tests.Economy;

/// <summary>
/// Random sequences of allocate / reserve / settle / release / decay / rebalance / return / replay against the real
/// service and database. After every sequence: no account overspent, Σ allocated ≤ budget, pools cover their agents,
/// ledgers chain; and every replayed request answered exactly its first answer without changing anything.
/// </summary>
[Collection(DeanAppCollection.Name)]
public sealed class LedgerSequenceProperties(DeanAppFixture fx)
{
    private readonly EconomyKit _kit = new(fx);

    private sealed record Op(string Kind, int Agent, int Amount, int Pick, string Priority);

    private static readonly string[] Priorities = ["low", "normal", "high", "critical"];

    private static readonly Gen<Op> OpGen =
        Gen.Frequency(
            (4, Gen.Constant("allocate")), (2, Gen.Constant("allocate_from_pool")), (6, Gen.Constant("reserve")),
            (4, Gen.Constant("settle")), (2, Gen.Constant("release")), (1, Gen.Constant("decay")), (1, Gen.Constant("rebalance")),
            (1, Gen.Constant("age")), (1, Gen.Constant("return")), (3, Gen.Constant("replay")))
        .SelectMany(kind => Gen.Choose(0, 3).SelectMany(agent => Gen.Choose(1, 6_000).SelectMany(amount =>
            Gen.Choose(0, 1_000).SelectMany(pick => Gen.Elements(Priorities).Select(p => new Op(kind, agent, amount, pick, p))))));

    /// <summary>Shrinks a failing sequence by dropping halves, then single operations.</summary>
    private static IEnumerable<List<Op>> Shrink(List<Op> ops)
    {
        if (ops.Count > 1)
        {
            yield return ops.Take(ops.Count / 2).ToList();
            yield return ops.Skip(ops.Count / 2).ToList();
        }
        for (var i = 0; i < ops.Count; i++) yield return ops.Where((_, j) => j != i).ToList();
    }

    [Fact]
    public void Random_sequences_keep_every_invariant() =>
        // The property body is asynchronous HTTP; Task.Run keeps its continuations off xunit's synchronisation context.
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(12),
            Prop.ForAll(Arb.From(Gen.Choose(10, 40).SelectMany(n => OpGen.ListOf(n)).Select(l => l.ToList()), Shrink),
                ops => Task.Run(() => RunAsync(ops)).GetAwaiter().GetResult()));

    private async Task RunAsync(List<Op> ops)
    {
        var op = await _kit.OperatorAsync();
        var run = Guid.NewGuid().ToString("N")[..8];
        var pool = $"cycle:{run}";
        var agents = Enumerable.Range(0, 4).Select(i => $"p-{run}-{i}").ToArray();
        // A tight budget, so refusals of every kind happen: 30,000 available beyond the reserve.
        await SetAvailableAsync(30_000);
        await _kit.AllocateAsync(pool, 8_000, "critical");

        var reservations = new List<Guid>();
        var sent = new List<(string Path, object Body, HttpStatusCode Status, string Answer)>();
        var n = 0;
        foreach (var o in ops)
        {
            var key = $"{run}-{n++}";
            var agent = agents[o.Agent];
            (string Path, object Body)? request = o.Kind switch
            {
                "allocate" => ("/api/v1/economy/allocate", new { agent_id = agent, requested_tokens = o.Amount, priority = o.Priority, idempotency_key = key }),
                "allocate_from_pool" => ("/api/v1/economy/allocate", new { agent_id = agent, requested_tokens = o.Amount, priority = o.Priority, from = pool, idempotency_key = key }),
                "reserve" => ("/api/v1/economy/reserve", new { agent_id = agent, tokens = o.Amount / 4 + 1, idempotency_key = key }),
                "settle" when reservations.Count > 0 => ("/api/v1/economy/settle",
                    new { reservation_id = reservations[o.Pick % reservations.Count], actual_tokens = o.Amount / 3, value = o.Pick / 100.0, idempotency_key = key }),
                "release" when reservations.Count > 0 => ("/api/v1/economy/release", new { reservation_id = reservations[o.Pick % reservations.Count], idempotency_key = key }),
                "decay" => ("/api/v1/economy/decay", new { idempotency_key = key }),
                "rebalance" => ("/api/v1/economy/rebalance", new { idempotency_key = key }),
                "return" => ("/api/v1/economy/return", new { agent_id = agent, idempotency_key = key }),
                _ => null,
            };
            if (o.Kind == "age")
            {
                await using var c = await _kit.OpenAsync();
                await c.ExecuteAsync("UPDATE economy_accounts SET last_activity_at = last_activity_at - make_interval(hours => @h) WHERE account_id = @agent",
                    new { agent, h = 1 + o.Pick % 5 });
            }
            else if (o.Kind == "replay" && sent.Count > 0)
            {
                var first = sent[o.Pick % sent.Count];
                var before = await _kit.StateFingerprintAsync();
                var again = await EconomyKit.PostRawAsync(op, first.Path, first.Body);
                Assert.Equal((first.Status, first.Answer), again);
                Assert.Equal(before, await _kit.StateFingerprintAsync());
            }
            else if (request is { } r)
            {
                var (status, answer) = await EconomyKit.PostRawAsync(op, r.Path, r.Body);
                Assert.True(status is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.Conflict or HttpStatusCode.NotFound,
                    $"{r.Path} answered {status}: {answer}");
                if (status == HttpStatusCode.Created) reservations.Add(JsonDocument.Parse(answer).RootElement.GetProperty("reservation_id").GetGuid());
                sent.Add((r.Path, r.Body, status, answer));
            }
        }
        await _kit.AssertInvariantsAsync();
        // Leave nothing reserved or allocated behind for the next sequence.
        foreach (var id in reservations) await EconomyKit.PostAsync(op, "/api/v1/economy/release", new { reservation_id = id });
        foreach (var agent in agents) await EconomyKit.PostAsync(op, "/api/v1/economy/return", new { agent_id = agent });
        await EconomyKit.PostAsync(op, "/api/v1/economy/return", new { agent_id = pool });
        await _kit.AssertInvariantsAsync();
        await _kit.EnsureHeadroomAsync();
    }

    private async Task SetAvailableAsync(long available)
    {
        var admin = await _kit.AdminAsync();
        var allocated = (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<JsonElement>(admin, "/api/v1/economy/budget")).GetProperty("allocated").GetInt64();
        var b = (long)((allocated + available) / 0.9);
        while (b - allocated - b / 10 < available) b++;
        using var put = await System.Net.Http.Json.HttpClientJsonExtensions.PutAsJsonAsync(admin, "/api/v1/economy/budget", new { new_budget = b });
        put.EnsureSuccessStatusCode();
    }
}
