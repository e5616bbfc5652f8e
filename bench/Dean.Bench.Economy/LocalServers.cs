using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dean.ServiceDefaults.Auth;
using Npgsql;

namespace Dean.Bench.Economy;

/// <summary>A throw-away PostgreSQL cluster, Redis and Economy process for one benchmark run, all removed afterwards.</summary>
public sealed class LocalServers : IAsyncDisposable
{
    private const string PgBin = "/usr/lib/postgresql/15/bin";
    private static bool IsRoot => Environment.UserName == "root";
    private readonly List<Process> _processes = [];
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"dean-bench-{Guid.NewGuid():N}");
    private string PgData => Path.Combine(_root, "pg");

    public string PostgresConnectionString { get; private set; } = "";
    public string RedisConnectionString { get; private set; } = "";
    public Uri EconomyUrl { get; private set; } = null!;
    private Process? _economy;
    private Process? _postgres;

    /// <summary>CPU seconds used so far by the Economy process, by PostgreSQL (postmaster and backends) and by this process.</summary>
    public (double Economy, double Postgres, double Bench) CpuSeconds()
    {
        _economy?.Refresh();
        var economy = _economy?.TotalProcessorTime.TotalSeconds ?? 0;
        double postgres = 0;
        if (_postgres is not null)
        {
            // setpriv execs postgres, so the postmaster keeps the started process's pid; backends are its children.
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    var ppid = int.Parse(fields[1]);
                    if (pid != _postgres.Id && ppid != _postgres.Id) continue;
                    // utime, stime (and, for the postmaster, exited children's cutime, cstime), in clock ticks of 1/100 s
                    var ticks = long.Parse(fields[11]) + long.Parse(fields[12]) + (pid == _postgres.Id ? long.Parse(fields[13]) + long.Parse(fields[14]) : 0);
                    postgres += ticks / 100.0;
                }
                catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
                {
                    // the process ended while we looked
                }
            }
        }
        return (economy, postgres, Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds);
    }

    public async Task StartPostgresAsync()
    {
        Directory.CreateDirectory(PgData);
        if (IsRoot)
        {
            // postgres refuses to run as root: the cluster belongs to the postgres user (as in the AppHost).
            await RunAsync("chown", "-R", "postgres:postgres", _root);
        }
        await RunAsync(AsPostgres(Path.Combine(PgBin, "initdb"), "-D", PgData, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"));
        var port = FreePort();
        var (file, args) = AsPostgres(Path.Combine(PgBin, "postgres"), "-D", PgData, "-p", port.ToString(), "-k", PgData,
            "-c", "listen_addresses=localhost", "-c", "max_connections=300");
        _postgres = Start(file, args);
        PostgresConnectionString = $"Host=localhost;Port={port};Username=postgres;Database=agent_evolution;Maximum Pool Size=200";
        var admin = new NpgsqlConnectionStringBuilder(PostgresConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        await RetryAsync(async () =>
        {
            await using var c = new NpgsqlConnection(admin);
            await c.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE agent_evolution", c);
            await create.ExecuteNonQueryAsync();
        });
    }

    public async Task StartRedisAsync()
    {
        var port = FreePort();
        Start("redis-server", ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"]);
        RedisConnectionString = $"localhost:{port}";
        await Task.Delay(200);
    }

    /// <summary>The Economy service itself (its own build output), listening directly on a free port.</summary>
    public async Task StartEconomyAsync(string signingKey, string configuration)
    {
        var dll = FindEconomyDll(configuration);
        var port = FreePort();
        EconomyUrl = new Uri($"http://127.0.0.1:{port}");
        var info = new ProcessStartInfo("dotnet", [dll]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
        info.Environment["ASPNETCORE_URLS"] = EconomyUrl.ToString();
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["ConnectionStrings__agent_evolution"] = PostgresConnectionString;
        info.Environment["ConnectionStrings__redis"] = RedisConnectionString;
        // The Economy signs nothing: it gets the public key of the Orchestrator's root key, which the benchmark signs with.
        info.Environment[$"Auth__TrustedKeys__{SigningKeys.Orchestrator}"] = SigningKeys.PublicKeyOf(signingKey, SigningKeys.Orchestrator);
        info.Environment["OTEL_SERVICE_NAME"] = "economy";
        // Per-request information logs to the console would measure the console, not the economy.
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  [economy] {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  [economy] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        _economy = process;
        using var http = new HttpClient { BaseAddress = EconomyUrl };
        await RetryAsync(async () => (await http.GetAsync("/health")).EnsureSuccessStatusCode());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in Enumerable.Reverse(_processes))
        {
            try
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
            }
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string FindEconomyDll(string configuration)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "Dean.Economy", "bin", configuration, "net10.0", "Dean.Economy.dll");
            if (File.Exists(Path.Combine(dir.FullName, "Dean.sln")) && File.Exists(dll)) return dll;
        }
        throw new FileNotFoundException($"Dean.Economy.dll ({configuration}) not found; build the solution first.");
    }

    private static (string File, string[] Args) AsPostgres(string file, params string[] args) =>
        IsRoot ? ("/usr/bin/setpriv", ["--reuid=postgres", "--regid=postgres", "--clear-groups", file, .. args]) : (file, args);

    private Process Start(string file, string[] args)
    {
        var info = new ProcessStartInfo(file, args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    private static async Task RunAsync((string File, string[] Args) command) => await RunAsync(command.File, command.Args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file, args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {await stderr}");
    }

    private static async Task RetryAsync(Func<Task> attempt)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                await attempt();
                return;
            }
            catch (Exception) when (i < 120)
            {
                await Task.Delay(250);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
