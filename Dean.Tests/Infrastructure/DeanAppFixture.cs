using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Dean.ServiceDefaults.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Dean.Tests.Infrastructure;

/// <summary>All tests that need the running system share one AppHost (start-up and teardown take ~10 s each here).</summary>
[CollectionDefinition(Name)]
public sealed class DeanAppCollection : ICollectionFixture<DeanAppFixture>
{
    public const string Name = "dean-app";
}

/// <summary>
/// The whole AppHost in local mode: a throw-away PostgreSQL cluster and Redis under a temporary data directory
/// (removed afterwards), the three services, a known admin password and a random signing key.
/// </summary>
public sealed class DeanAppFixture : IAsyncLifetime
{
    public static readonly string[] Services = ["economy", "indexagent", "orchestrator"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly Dictionary<string, string> _tokens = [];
    private readonly Dictionary<string, (string Username, string Password)> _users = [];
    private readonly SemaphoreSlim _tokenGate = new(1, 1);

    public string AdminPassword { get; } = "admin-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
    /// <summary>The Orchestrator's signing seed (parameter <c>jwt-signing-key</c>).</summary>
    public string SigningKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    /// <summary>The IndexAgent's signing seed (parameter <c>indexagent-signing-key</c>): what a forger inside the IndexAgent would hold.</summary>
    public string IndexAgentSigningKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"dean-test-{Guid.NewGuid():N}");
    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The LLM provider the IndexAgent's <c>llm</c> operator talks to: it lowers <c>step</c> in the program it is shown.</summary>
    public ChatCompletionsStandIn Llm { get; } = new(LowerTheStep);
    public TimeSpan TimeToHealthy { get; private set; }


    /// <summary>Where the AppHost's and its resources' logs go for this run.</summary>
    public ResourceLogFile LogFile { get; } = new(ResourceLogFile.DefaultDirectory);

    public async Task InitializeAsync()
    {
        SweepStaleDataDirectories();
        Directory.CreateDirectory(DataDirectory);
        var stopwatch = Stopwatch.StartNew();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Dean_AppHost>(
        [
            "Infra:Mode=local",
            "Infra:FixedPorts=false",
            "Dean:DemoCycle=false",
            $"Infra:DataDir={DataDirectory}",
            $"DEAN_ADMIN_PASSWORD={AdminPassword}",
            $"Parameters:jwt-signing-key={SigningKey}",
            $"Parameters:indexagent-signing-key={IndexAgentSigningKey}",
            // Prometheus from the AppHost, as operators switch it on; a short interval so tests see scrapes soon.
            "Monitoring:Prometheus=true",
            "Monitoring:ScrapeInterval=2s",
            $"ConnectionStrings:llm=Endpoint={Llm.Endpoint};Model=dean-stand-in;Key=sk-dean-tests",
        ]);
        // The console shows the tests; everything the AppHost and its resources log goes to a file (named below and on failure).
        builder.Services.AddLogging(logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(LogLevel.Information);
            logging.AddProvider(LogFile);
        });
        Console.WriteLine($"AppHost and resource logs: {LogFile.Path}");
        App = await builder.BuildAsync().WaitAsync(StartTimeout);
        await App.StartAsync().WaitAsync(StartTimeout);
        foreach (var resource in new[] { "postgres", "redis" }.Concat(Services))
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource).WaitAsync(StartTimeout);
        TimeToHealthy = stopwatch.Elapsed;
    }

    public async Task DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        EndLeftoverServiceProcesses();
        LogFile.Dispose();
        await Llm.DisposeAsync();
        TryDelete(DataDirectory);
    }

    /// <summary>A plain client for a service (no retries, so tests see exactly what the service answered).</summary>
    public HttpClient Client(string service, string? token = null)
    {
        var client = App.CreateHttpClient(service, "http");
        client.Timeout = TimeSpan.FromSeconds(100);
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A client for a service signed in with a user of the given role (created on first use).</summary>
    public async Task<HttpClient> ClientAsync(string service, string role = "admin") => Client(service, await TokenAsync(role));

    public async Task<string> TokenAsync(string role = "admin")
    {
        await _tokenGate.WaitAsync();
        try
        {
            if (_tokens.TryGetValue(role, out var cached)) return cached;
            var orchestrator = Client("orchestrator");
            var admin = await LoginAsync(orchestrator, "admin", AdminPassword);
            if (role == "admin") return _tokens[role] = admin;

            // After ForgetTokensAsync the user exists already: sign in again with the password it was created with.
            // (A restore may have removed a user created after its backup: then it is created again.)
            if (_users.TryGetValue(role, out var known))
            {
                var again = await orchestrator.PostAsJsonAsync("/api/v1/auth/login", new { username = known.Username, password = known.Password });
                if (again.IsSuccessStatusCode)
                    return _tokens[role] = (await again.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("access_token").GetString()!;
                _users.Remove(role);
            }
            var password = $"{role}-password-{Guid.NewGuid():N}";
            var username = $"test-{role}";
            using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/users")
            {
                Content = JsonContent.Create(new { username, password, role }),
            };
            create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            (await orchestrator.SendAsync(create)).EnsureSuccessStatusCode();
            _users[role] = (username, password);
            return _tokens[role] = await LoginAsync(orchestrator, username, password);
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    /// <summary>Forgets the cached tokens (after a key rotation made them invalid); the next request signs in again.</summary>
    public async Task ForgetTokensAsync()
    {
        await _tokenGate.WaitAsync();
        try
        {
            _tokens.Clear();
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    /// <summary>Kills a service's process tree (SIGKILL: no graceful shutdown) and waits until it has exited.</summary>
    public async Task KillAsync(string resource, ITestOutputHelper output)
    {
        Assert.True(App.ResourceNotifications.TryGetCurrentState(resource, out var state));
        var pid = int.Parse(state!.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value!.ToString()!);
        using (var process = Process.GetProcessById(pid))
        {
            // The resource's process is `dotnet run`; the service is its child, which must not outlive it.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        output.WriteLine($"killed {resource} (pid {pid})");
    }

    /// <summary>Starts a resource that was stopped or killed again, and waits until it is healthy (to put back what a test took down).</summary>
    public async Task StartAgainAsync(string resource, ITestOutputHelper output)
    {
        // DCP notices an exit on its own schedule; start again as soon as it accepts the command.
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        ExecuteCommandResult result;
        while (!(result = await commands.ExecuteCommandAsync(resource, "resource-start")).Success && DateTime.UtcNow < deadline)
        {
            App.ResourceNotifications.TryGetCurrentState(resource, out var now);
            output.WriteLine($"start refused ({result.Message}); state {now?.Snapshot.State?.Text}");
            // A refused command may still have started it (a slow machine): a second start would race the first for the
            // port, and the loser's exit would mark the resource finished.
            if (now?.Snapshot.State?.Text is "Starting" or "Running") break;
            await Task.Delay(2000);
        }
        App.ResourceNotifications.TryGetCurrentState(resource, out var started);
        Assert.True(result.Success || started?.Snapshot.State?.Text is "Starting" or "Running", result.Message);
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource).WaitAsync(TimeSpan.FromSeconds(120));
    }

    public static async Task<string> LoginAsync(HttpClient orchestrator, string username, string password)
    {
        var response = await orchestrator.PostAsJsonAsync("/api/v1/auth/login", new { username, password });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return body.GetProperty("access_token").GetString()!;
    }

    public async Task<string> ConnectionStringAsync(string resource = "postgres") =>
        await App.GetConnectionStringAsync(resource) ?? throw new InvalidOperationException($"no connection string for {resource}");

    /// <summary>A program holding this text gets a syntax error from the stand-in model.</summary>
    public const string BrokenAnswerMarker = "# the model breaks this program";

    /// <summary>A model that answers with one SEARCH/REPLACE block lowering the first <c>step = N</c> it is shown by a quarter.</summary>
    private static (string, int, int) LowerTheStep(System.Text.Json.JsonElement request)
    {
        var prompt = ChatCompletionsStandIn.UserMessage(request);
        var step = System.Text.RegularExpressions.Regex.Match(prompt, @"^(?<indent>[ \t]*)step = (?<value>[0-9.eE+-]+)[ \t]*$", System.Text.RegularExpressions.RegexOptions.Multiline);
        if (!step.Success) return ("There is no step to change.", prompt.Length / 4, 8);
        var lowered = double.Parse(step.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture) * 0.75;
        // A program that asks for it gets an answer that does not parse (an unclosed parenthesis), as models sometimes give.
        var open = prompt.Contains(BrokenAnswerMarker, StringComparison.Ordinal) ? "(" : "";
        var answer = $"program.py\n<<<<<<< SEARCH\n{step.Value}\n=======\n{step.Groups["indent"].Value}step = {open}{lowered.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}\n>>>>>>> REPLACE\n";
        return (answer, prompt.Length / 4, 40);
    }

    /// <summary>
    /// A service process that outlived the AppHost (the crash test's kill and restart can leave DCP without track of
    /// one) is ended here, so the suite leaves nothing running. This run's processes are told by this run's signing
    /// key in their environment, so a system started by hand from the same checkout is never touched.
    /// </summary>
    private void EndLeftoverServiceProcesses()
    {
        foreach (var process in Process.GetProcesses())
        {
            using (process)
            {
                try
                {
                    if (!process.ProcessName.StartsWith("Dean.", StringComparison.Ordinal)) continue;
                    var environment = File.ReadAllText($"/proc/{process.Id}/environ");
                    // Every service of this run, the Economy included, is given the run's Orchestrator public key.
                    if (!environment.Contains(SigningKeys.PublicKeyOf(SigningKey, SigningKeys.Orchestrator), StringComparison.Ordinal)) continue;
                    Console.WriteLine($"ending leftover {process.ProcessName} (pid {process.Id})");
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // gone meanwhile, or not ours to read
                }
            }
        }
    }

    /// <summary>Data directories of earlier runs that were killed before they could clean up.</summary>
    private static void SweepStaleDataDirectories()
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), "dean-test-*"))
        {
            var pidFile = Path.Combine(dir, "postgres", "postmaster.pid");
            var alive = File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && ProcessExists(pid);
            if (!alive && Directory.GetLastWriteTimeUtc(dir) < DateTime.UtcNow.AddMinutes(-30)) TryDelete(dir);
        }
    }

    private static bool ProcessExists(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // a process of the run may still be going down; the next run's sweep removes it
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
