using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Dean.ServiceDefaults.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using StackExchange.Redis;

namespace Dean.AppHost;

/// <summary>The local <c>postgres</c> binary as an Aspire executable resource with a (password-carrying) connection string to one database.</summary>
public sealed class LocalPostgresResource(string name, string command, string workingDirectory, string database, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public EndpointReference Endpoint => new(this, "tcp");

    public ParameterResource Password { get; } = password;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Endpoint.Property(EndpointProperty.Host)};Port={Endpoint.Property(EndpointProperty.Port)};Username=postgres;Password={Password};Database={database}");
}

/// <summary>The local <c>redis-server</c> binary as an Aspire executable resource with a connection string that carries its password.</summary>
public sealed class LocalRedisResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public EndpointReference Endpoint => new(this, "tcp");

    public ParameterResource Password { get; } = password;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Endpoint.Property(EndpointProperty.HostAndPort)},password={Password}");
}

/// <summary>The database resource (what services wait for) and a connection string per login role of <see cref="DatabaseOwnership"/>.</summary>
public sealed class DeanDatabase(IResourceBuilder<IResourceWithConnectionString> resource, EndpointReference endpoint, string database,
    IReadOnlyDictionary<string, ParameterResource> passwords)
{
    public IResourceBuilder<IResourceWithConnectionString> Resource { get; } = resource;

    public ReferenceExpression ConnectionStringFor(string role) => ReferenceExpression.Create(
        $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={role};Password={passwords[role]};Database={database}");
}

public static class LocalInfrastructure
{
    private const string PgBin = "/usr/lib/postgresql/15/bin";
    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>
    /// PostgreSQL with the <paramref name="database"/> database, as a container or a local executable, with scram
    /// authentication: the superuser's and every service role's password is a generated, persisted secret parameter,
    /// and the roles (<see cref="DatabaseOwnership"/>) are provisioned before anything that waits for the database starts.
    /// </summary>
    public static DeanDatabase AddDeanPostgres(this IDistributedApplicationBuilder builder, string name, string database, InfraOptions infra)
    {
        var password = builder.AddParameter($"{name}-password", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
        var roles = DatabaseOwnership.LoginRoles.ToDictionary(role => role, role => builder.AddParameter($"{name}-{role.Replace('_', '-')}-password",
                new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true).Resource);
        // The probe is a health check, run again and again: the roles are provisioned once per AppHost run, as the
        // superuser, inside the database (connectionString names it).
        var provisioned = false;
        async Task ProvisionAsync(string connectionString, CancellationToken ct)
        {
            if (provisioned) return;
            var secrets = new Dictionary<string, string>();
            foreach (var (role, parameter) in roles)
                secrets[role] = await parameter.GetValueAsync(ct) ?? throw new InvalidOperationException($"parameter {parameter.Name} has no value");
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
            await connection.OpenAsync(ct);
            await using var provision = new NpgsqlCommand(DatabaseOwnership.ProvisionSql(database, secrets), connection);
            await provision.ExecuteNonQueryAsync(ct);
            provisioned = true;
        }

        if (infra.UseContainers)
        {
            var server = builder.AddPostgres(name, password: password, port: infra.PostgresPort);
            if (builder.ExecutionContext.IsRunMode) server.WithDataVolume("dean-postgres-data");
            var created = server.AddDatabase(database.Replace('_', '-'), databaseName: database)
                .WithProbe(builder, ProvisionAsync);
            return new DeanDatabase(created, server.Resource.PrimaryEndpoint, database, roles);
        }

        var dataDir = PostgresDataDirectory(infra.DataDirectory);
        var bin = FindPostgresBin();
        // postgres and initdb refuse to run as root: setpriv drops to the postgres user and execs, so DCP's signals reach postgres.
        var resource = new LocalPostgresResource(name, IsRoot ? "/usr/bin/setpriv" : Path.Combine(bin, "postgres"), infra.DataDirectory, database, password.Resource);
        var resourceBuilder = builder.AddResource(resource)
            .WithEndpoint(name: "tcp", scheme: "tcp", targetPort: null, port: infra.PostgresPort, isProxied: true)
            .WithArgs(context =>
            {
                if (IsRoot)
                {
                    foreach (var arg in new[] { "--reuid=postgres", "--regid=postgres", "--clear-groups", Path.Combine(bin, "postgres") })
                        context.Args.Add(arg);
                }
                context.Args.Add("-D"); context.Args.Add(dataDir);
                context.Args.Add("-p"); context.Args.Add(resource.Endpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("-k"); context.Args.Add(dataDir); // unix socket inside the data dir: instances never clash
                context.Args.Add("-c"); context.Args.Add("listen_addresses=localhost");
                context.Args.Add("-c"); context.Args.Add("max_connections=300");
            });

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(resource, async (_, ct) =>
        {
            string[] asPostgres = IsRoot ? ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups"] : [];
            async Task AsPostgresAsync(string[] command, string? input = null) =>
                await RunAsync(asPostgres.Length > 0 ? asPostgres[0] : command[0], [.. asPostgres.Skip(1), .. asPostgres.Length > 0 ? command : command[1..]], ct, input);
            if (!File.Exists(Path.Combine(dataDir, "PG_VERSION")))
            {
                Directory.CreateDirectory(dataDir);
                if (IsRoot) await RunAsync("chown", ["-R", "postgres:postgres", dataDir], ct);
                // Made as earlier versions made it (trust), so that every new cluster takes the upgrade path below.
                await AsPostgresAsync([Path.Combine(bin, "initdb"), "-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
            }
            // Every start (the server is down now): the superuser's password is the parameter's, and no line of
            // pg_hba.conf trusts. This is the upgrade in place of a trust cluster, the fresh one above included.
            var secret = await password.Resource.GetValueAsync(ct) ?? throw new InvalidOperationException($"parameter {name}-password has no value");
            await AsPostgresAsync([Path.Combine(bin, "postgres"), "--single", "-D", dataDir, "postgres"], $"ALTER USER postgres PASSWORD '{secret.Replace("'", "''")}';\n");
            var hba = Path.Combine(dataDir, "pg_hba.conf");
            var lines = await File.ReadAllLinesAsync(hba, ct);
            var scram = lines.Select(l => l.TrimStart().StartsWith('#') ? l : System.Text.RegularExpressions.Regex.Replace(l, @"\btrust\b", "scram-sha-256")).ToArray();
            if (!scram.SequenceEqual(lines)) await File.WriteAllLinesAsync(hba, scram, ct);
        });

        var probed = resourceBuilder.WithProbe(builder, async (connectionString, ct) =>
        {
            // The cluster may be fresh: create the database once it accepts connections, then the roles in it.
            var superuser = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
            await using (var connection = new NpgsqlConnection(superuser.ConnectionString))
            {
                await connection.OpenAsync(ct);
                await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
                if (await exists.ExecuteScalarAsync(ct) is null)
                {
                    await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
                    await create.ExecuteNonQueryAsync(ct);
                }
            }
            await ProvisionAsync(connectionString, ct);
        });
        return new DeanDatabase(probed, resource.Endpoint, database, roles);
    }

    /// <summary>
    /// Redis as a container or a local executable, with a password (a generated, persisted secret parameter); locally
    /// its append-only file lives in the data directory. A password-less data directory of an earlier install is simply
    /// served with the password from then on: the data files do not depend on it.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddDeanRedis(this IDistributedApplicationBuilder builder, string name, InfraOptions infra)
    {
        var password = builder.AddParameter($"{name}-password", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
        if (infra.UseContainers)
        {
            var redis = builder.AddRedis(name, port: infra.RedisPort, password: password);
            if (builder.ExecutionContext.IsRunMode) redis.WithDataVolume("dean-redis-data");
            return redis;
        }

        var dataDir = Path.Combine(infra.DataDirectory, "redis");
        // The password goes in a config file only its owner reads, not on the command line, which every local user's ps shows.
        var authConfig = Path.Combine(infra.DataDirectory, "redis-auth.conf");
        var resource = new LocalRedisResource(name, "redis-server", infra.DataDirectory, password.Resource);
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(resource, async (_, ct) =>
        {
            Directory.CreateDirectory(dataDir);
            var secret = await password.Resource.GetValueAsync(ct) ?? throw new InvalidOperationException($"parameter {name}-password has no value");
            // Made empty and private first, then written: the secret is never in a file others may read.
            await File.WriteAllTextAsync(authConfig, "", ct);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(authConfig, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await File.WriteAllTextAsync(authConfig, $"requirepass \"{secret.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"\n", ct);
        });
        return builder.AddResource(resource)
            .WithEndpoint(name: "tcp", scheme: "tcp", targetPort: null, port: infra.RedisPort, isProxied: true)
            .WithArgs(context =>
            {
                context.Args.Add(authConfig);
                context.Args.Add("--port"); context.Args.Add(resource.Endpoint.Property(EndpointProperty.TargetPort));
                foreach (var arg in new[] { "--bind", "127.0.0.1", "--dir", dataDir, "--appendonly", "yes", "--save", "", "--daemonize", "no", "--protected-mode", "yes" })
                    context.Args.Add(arg);
            })
            .WithProbe(builder, async (connectionString, _) =>
            {
                await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString + ",abortConnect=true,connectTimeout=2000");
                await redis.GetDatabase().PingAsync();
            });
    }

    /// <summary>A health check that resolves the resource's connection string lazily and probes it, so <c>WaitFor</c> works.</summary>
    private static IResourceBuilder<IResourceWithConnectionString> WithProbe<T>(this IResourceBuilder<T> resource, IDistributedApplicationBuilder builder,
        Func<string, CancellationToken, Task> probe) where T : IResourceWithConnectionString
    {
        var key = $"{resource.Resource.Name}_probe";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => new ProbeHealthCheck(resource.Resource, probe), null, null));
        return (IResourceBuilder<IResourceWithConnectionString>)resource.WithHealthCheck(key);
    }

    /// <summary>
    /// When running as root, postgres (run as the postgres user) must be able to traverse every parent of its data
    /// directory. A checkout under a private folder cannot be; then the cluster lives under /var/lib/dean instead.
    /// </summary>
    private static string PostgresDataDirectory(string dataDirectory)
    {
        var preferred = Path.Combine(dataDirectory, "postgres");
        if (!IsRoot || Traversable(dataDirectory)) return preferred;
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(dataDirectory)))[..12].ToLowerInvariant();
        return Path.Combine("/var/lib/dean", hash, "postgres");
    }

    private static bool Traversable(string path)
    {
        for (var dir = new DirectoryInfo(path); dir is not null; dir = dir.Parent)
        {
            if (!dir.Exists) continue;
            if ((dir.UnixFileMode & UnixFileMode.OtherExecute) == 0) return false;
        }
        return true;
    }

    private static string FindPostgresBin()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).OrderByDescending(d => d, StringComparer.Ordinal)
            : Enumerable.Empty<string>();
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "postgres"))) ?? PgBin;
    }

    private static async Task RunAsync(string file, IEnumerable<string> args, CancellationToken ct, string? input = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        if (input is not null) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', info.ArgumentList)} failed ({process.ExitCode}): {await stderr}");
    }

    private sealed class ProbeHealthCheck(IResourceWithConnectionString resource, Func<string, CancellationToken, Task> probe) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var connectionString = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken)
                    ?? throw new InvalidOperationException("no connection string yet");
                await probe(connectionString, cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex)
            {
                return HealthCheckResult.Unhealthy(ex.Message, ex);
            }
        }
    }
}
