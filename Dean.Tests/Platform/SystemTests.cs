using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Dean.ServiceDefaults.Data;
using Dean.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit.Abstractions;

namespace Dean.Tests.Platform;

[Collection(DeanAppCollection.Name)]
public sealed class SystemTests(DeanAppFixture fx, ITestOutputHelper output)
{
    [Fact]
    public async Task PostgreSQL_answers_only_with_its_scram_password()
    {
        var builder = new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync("postgres")) { Pooling = false };
        Assert.False(string.IsNullOrEmpty(builder.Password));
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await using var method = new NpgsqlCommand("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = current_user", connection);
            Assert.True((bool)(await method.ExecuteScalarAsync())!);
        }
        foreach (var wrong in new[] { null, "not-the-password" })
        {
            await using var refused = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Password = wrong }.ConnectionString);
            var error = await Assert.ThrowsAnyAsync<Exception>(() => refused.OpenAsync());
            Assert.True(error is PostgresException { SqlState: "28P01" } || error.Message.Contains("password", StringComparison.OrdinalIgnoreCase), error.ToString());
        }
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Redis_answers_only_with_its_password()
    {
        var options = StackExchange.Redis.ConfigurationOptions.Parse(await fx.ConnectionStringAsync("redis"));
        Assert.False(string.IsNullOrEmpty(options.Password));
        await using (var authenticated = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(options))
            await authenticated.GetDatabase().PingAsync();

        // Without it, the server's own answer (a raw PING, so no client library's retry or handshake hides it).
        var (host, port) = options.EndPoints[0] switch
        {
            System.Net.DnsEndPoint dns => (dns.Host, dns.Port),
            System.Net.IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            var other => throw new InvalidOperationException($"unexpected endpoint {other}"),
        };
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(host, port);
        var stream = socket.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray());
        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer);
        Assert.StartsWith("-NOAUTH", System.Text.Encoding.ASCII.GetString(buffer, 0, read));

        // The password is on no command line (any local user can read those): the AppHost's arguments for redis-server
        // hold neither it nor its parameter; it is in a file only its owner reads.
        var redis = fx.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ExecutableResource>().Single(r => r.Name == "redis");
        var args = new List<object>();
        foreach (var annotation in redis.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
            await annotation.Callback(new CommandLineArgsCallbackContext(args, redis, CancellationToken.None));
        Assert.DoesNotContain(args, a => a is ParameterResource || a is string text && text.Contains(options.Password!, StringComparison.Ordinal));
        var config = args.OfType<string>().Single(a => a.EndsWith("redis-auth.conf", StringComparison.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        Assert.Contains(options.Password!, File.ReadAllText(config));
    }

    [Theory]
    [InlineData("economy", new string[] { "postgres", "redis" })]
    [InlineData("indexagent", new[] { "postgres", "redis", "economy" })]
    [InlineData("orchestrator", new[] { "postgres", "redis", "economy", "indexagent" })]
    public async Task Every_service_reports_health_with_its_components(string service, string[] components)
    {
        output.WriteLine($"AppHost healthy after {fx.TimeToHealthy.TotalSeconds:F1} s");
        var response = await fx.Client(service).GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var health = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.Equal(service, health.GetProperty("service").GetString());
        Assert.False(string.IsNullOrEmpty(health.GetProperty("version").GetString()));
        foreach (var component in components)
            Assert.Equal("healthy", health.GetProperty("components").GetProperty(component).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await fx.Client(service).GetAsync("/alive")).StatusCode);
    }

    [Theory]
    [InlineData("economy", "Dean.Economy")]
    [InlineData("indexagent", "Dean.IndexAgent")]
    [InlineData("orchestrator", "Dean.Orchestrator")]
    public async Task Every_service_serves_its_checked_in_openapi_document_and_scalar_without_a_token(string service, string project)
    {
        var client = fx.Client(service);
        var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var served = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var checkedIn = Contracts.OpenApiDocuments.Load(project);
        // The running document may add the server's address; the operations are the build's.
        Assert.True(JsonNode.DeepEquals(checkedIn["paths"], served["paths"]), $"{service} serves other operations than docs/openapi/{project}.json");
        var scalar = await client.GetAsync("/scalar");
        Assert.Equal(HttpStatusCode.OK, scalar.StatusCode);
        Assert.Contains("openapi/v1.json", await scalar.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("economy")]
    [InlineData("indexagent")]
    [InlineData("orchestrator")]
    public async Task Metrics_expose_api_request_counters_after_a_request(string service)
    {
        var client = await fx.ClientAsync(service, "viewer");
        (await client.GetAsync("/api/v1/auth/me")).EnsureSuccessStatusCode();
        var metrics = await fx.Client(service).GetStringAsync("/metrics");
        Assert.Contains("# TYPE dean_api_requests_total counter", metrics);
        Assert.Matches($"dean_api_requests_total\\{{[^}}]*method=\"GET\"[^}}]*route=\"/api/v1/auth/me\"[^}}]*service=\"{service}\"[^}}]*status=\"200\"", metrics);
        Assert.Contains("dean_api_request_duration_seconds_bucket{", metrics);
    }

    [Theory]
    [InlineData("economy")]
    [InlineData("indexagent")]
    [InlineData("orchestrator")]
    public async Task Api_routes_need_a_valid_token(string service)
    {
        var anonymous = await fx.Client(service).GetAsync("/api/v1/auth/me");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var forged = await fx.Client(service, "not-a-token").GetAsync("/api/v1/auth/me");
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);

        var me = await (await fx.ClientAsync(service, "admin")).GetFromJsonAsync<JsonElement>("/api/v1/auth/me");
        Assert.Equal("admin", me.GetProperty("username").GetString());
        Assert.Equal("admin", me.GetProperty("role").GetString());
    }

    [Fact]
    public async Task A_too_weak_role_is_forbidden()
    {
        var viewer = await fx.ClientAsync("orchestrator", "viewer");
        var response = await viewer.PostAsJsonAsync("/api/v1/auth/users", new { username = "someone", password = "long-enough-password", role = "viewer" });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Login_refresh_and_bad_input()
    {
        var orchestrator = fx.Client("orchestrator");
        var wrong = await orchestrator.PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password = "wrong" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var missing = await orchestrator.PostAsJsonAsync("/api/v1/auth/login", new { username = "admin" });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var malformed = await orchestrator.PostAsync("/api/v1/auth/login", new StringContent("{\"username\": 5}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        var login = await (await orchestrator.PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password = fx.AdminPassword }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Bearer", login.GetProperty("token_type").GetString());
        Assert.True(login.GetProperty("expires_in").GetInt32() > 0);
        var refreshToken = login.GetProperty("refresh_token").GetString();

        var refreshed = await orchestrator.PostAsJsonAsync("/api/v1/auth/refresh", new { refresh_token = refreshToken });
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var replayed = await orchestrator.PostAsJsonAsync("/api/v1/auth/refresh", new { refresh_token = refreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
    }

    [Fact]
    public async Task Schema_applies_twice_on_the_same_database()
    {
        var server = new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Database = "postgres" };
        var scratch = $"migrations_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(server.ConnectionString))
        {
            await admin.OpenAsync();
            await new NpgsqlCommand($"CREATE DATABASE {scratch}", admin).ExecuteNonQueryAsync();
        }
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = scratch }.ConnectionString);
        var migrator = new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance);
        var owners = new (string Service, Type Marker)[]
        {
            ("economy", typeof(Dean.Economy.EconomyAssembly)),
            ("indexagent", typeof(Dean.IndexAgent.IndexAgentAssembly)),
            ("orchestrator", typeof(Dean.Orchestrator.OrchestratorAssembly)),
        };
        foreach (var (service, marker) in owners)
        {
            var migrations = Migration.FromAssembly(marker.Assembly);
            Assert.Equal(migrations.Count, await migrator.ApplyAsync(service, migrations, CancellationToken.None));
            Assert.Equal(0, await migrator.ApplyAsync(service, migrations, CancellationToken.None));
        }
        await using var count = dataSource.CreateCommand("SELECT count(DISTINCT service) FROM schema_migrations");
        Assert.True((long)(await count.ExecuteScalarAsync())! >= 1);
    }
}
