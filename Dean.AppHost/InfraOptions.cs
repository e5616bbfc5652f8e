using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace Dean.AppHost;

/// <summary>
/// How PostgreSQL and Redis run. <c>Infra:Mode</c> = <c>auto</c> (default: containers when a container runtime answers,
/// local binaries otherwise), <c>container</c> or <c>local</c>. Publish mode always models containers, so the manifest
/// is deployable. <c>Infra:DataDir</c> (default <c>.dean/data</c>, git-ignored) holds everything that must survive a
/// restart: the PostgreSQL cluster, Redis' append-only file and the agents' workspace.
/// </summary>
public sealed record InfraOptions(bool UseContainers, string DataDirectory, int? PostgresPort, int? RedisPort)
{
    /// <summary>
    /// The runbook's ports (PostgreSQL 5432, Redis 6379) when <c>Infra:FixedPorts</c> is on (run mode default) and the
    /// port is free; otherwise DCP picks one (tests, or a machine that already runs its own PostgreSQL).
    /// </summary>
    private static int? FixedPort(IDistributedApplicationBuilder builder, int port)
    {
        var fixedPorts = builder.ExecutionContext.IsRunMode && !string.Equals(builder.Configuration["Infra:FixedPorts"], "false", StringComparison.OrdinalIgnoreCase);
        if (!fixedPorts) return null;
        try
        {
            using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            probe.Start();
            return port;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }
    }

    public static InfraOptions Resolve(IDistributedApplicationBuilder builder)
    {
        var mode = (builder.Configuration["Infra:Mode"] ?? "auto").ToLowerInvariant();
        var containers = !builder.ExecutionContext.IsRunMode || mode switch
        {
            "container" => true,
            "local" => false,
            "auto" => ContainerRuntimeAnswers("docker") || ContainerRuntimeAnswers("podman"),
            _ => throw new InvalidOperationException($"Infra:Mode must be auto, container or local, not '{mode}'."),
        };
        var dataDirectory = builder.Configuration["Infra:DataDir"] ?? Path.Combine(builder.AppHostDirectory, "..", ".dean", "data");
        return new InfraOptions(containers, Path.GetFullPath(dataDirectory), FixedPort(builder, 5432), FixedPort(builder, 6379));
    }

    /// <summary>A CLI on the PATH is not enough: its engine must answer (there is a docker CLI but no daemon here).</summary>
    private static bool ContainerRuntimeAnswers(string cli)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(cli, "info --format {{.ServerVersion}}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null) return false;
            if (!process.WaitForExit(5000))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // the CLI is not installed
        }
    }
}
