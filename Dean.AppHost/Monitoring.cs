using Aspire.Hosting.ApplicationModel;

namespace Dean.AppHost;

public static class Monitoring
{
    /// <summary>The targets <c>monitoring/prometheus.yml</c> scrapes: the run-mode ports of <c>./run.sh</c>.</summary>
    private static readonly Dictionary<string, string> RunModeTargets = new()
    {
        ["orchestrator"] = "localhost:8082",
        ["indexagent"] = "localhost:8081",
        ["economy"] = "localhost:8090",
    };

    /// <summary>
    /// Prometheus loaded with <c>monitoring/prometheus.yml</c> and <c>alerts.yml</c>: on by default in run mode, as the
    /// runbook's health check probes it (<c>Monitoring:Prometheus=false</c> turns it off), and in other modes only with
    /// <c>Monitoring:Prometheus=true</c>. The local binary when installed (Debian package <c>prometheus</c>), otherwise the
    /// <c>prom/prometheus</c> container. It listens on 9090 in run mode. The scrape file is rewritten at start to the
    /// services' allocated endpoints, so it also works where ports are random (tests); <c>Monitoring:ScrapeInterval</c>
    /// overrides its interval.
    /// </summary>
    public static bool PrometheusEnabled(IDistributedApplicationBuilder builder) => builder.Configuration["Monitoring:Prometheus"] is { } setting
        ? string.Equals(setting, "true", StringComparison.OrdinalIgnoreCase)
        : builder.ExecutionContext.IsRunMode;

    public static IDistributedApplicationBuilder AddDeanPrometheus(this IDistributedApplicationBuilder builder, InfraOptions infra,
        params IResourceBuilder<ProjectResource>[] services)
    {
        if (!PrometheusEnabled(builder)) return builder;
        var monitoring = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "monitoring"));
        var generated = Path.Combine(infra.DataDirectory, "prometheus", "config");
        var binary = new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" }.FirstOrDefault(File.Exists);
        var local = binary is not null && !infra.UseContainers;

        IResource prometheus;
        if (local)
        {
            var data = Path.Combine(infra.DataDirectory, "prometheus", "data");
            var executable = builder.AddExecutable("prometheus", binary!, monitoring)
                .WithHttpEndpoint(port: 9090, name: "http")
                .WithHttpHealthCheck("/-/ready");
            var endpoint = executable.GetEndpoint("http");
            executable.WithArgs(context =>
            {
                context.Args.Add($"--config.file={Path.Combine(generated, "prometheus.yml")}");
                context.Args.Add($"--storage.tsdb.path={data}");
                context.Args.Add(ReferenceExpression.Create($"--web.listen-address=127.0.0.1:{endpoint.Property(EndpointProperty.TargetPort)}"));
            });
            prometheus = WaitForAll(executable, services).Resource;
        }
        else
        {
            var container = builder.AddContainer("prometheus", "prom/prometheus")
                .WithBindMount(generated, "/etc/prometheus", isReadOnly: true)
                .WithArgs("--config.file=/etc/prometheus/prometheus.yml")
                .WithHttpEndpoint(targetPort: 9090, port: 9090, name: "http")
                .WithContainerRuntimeArgs("--add-host=host.docker.internal:host-gateway");
            prometheus = WaitForAll(container, services).Resource;
        }

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(prometheus, async (_, ct) =>
        {
            var targets = new Dictionary<string, string>();
            foreach (var service in services)
            {
                var hostAndPort = await service.GetEndpoint("http").Property(EndpointProperty.HostAndPort).GetValueAsync(ct)
                    ?? throw new InvalidOperationException($"{service.Resource.Name} has no http endpoint yet");
                // From a container the host's loopback is host.docker.internal.
                targets[service.Resource.Name] = local ? hostAndPort : "host.docker.internal:" + hostAndPort.Split(':')[^1];
            }
            Directory.CreateDirectory(generated);
            var rules = local ? Path.Combine(monitoring, "alerts.yml") : "/etc/prometheus/alerts.yml";
            if (!local) File.Copy(Path.Combine(monitoring, "alerts.yml"), Path.Combine(generated, "alerts.yml"), overwrite: true);
            var config = ScrapeConfig(await File.ReadAllTextAsync(Path.Combine(monitoring, "prometheus.yml"), ct),
                targets, rules, builder.Configuration["Monitoring:ScrapeInterval"]);
            await File.WriteAllTextAsync(Path.Combine(generated, "prometheus.yml"), config, ct);
        });
        return builder;
    }

    private static IResourceBuilder<T> WaitForAll<T>(IResourceBuilder<T> resource, IEnumerable<IResourceBuilder<ProjectResource>> services)
        where T : IResourceWithWaitSupport
    {
        foreach (var service in services) resource.WaitFor(service);
        return resource;
    }

    /// <summary>
    /// <c>monitoring/prometheus.yml</c> with each service's run-mode target replaced by where it actually listens, the
    /// rule file by its absolute path and, when given, both intervals by <paramref name="interval"/>.
    /// </summary>
    public static string ScrapeConfig(string template, IReadOnlyDictionary<string, string> targets, string rulesPath, string? interval)
    {
        var config = template;
        foreach (var (service, target) in targets)
        {
            if (!RunModeTargets.TryGetValue(service, out var runMode) || !config.Contains($"\"{runMode}\"", StringComparison.Ordinal))
                throw new InvalidOperationException($"monitoring/prometheus.yml does not scrape {service} at {runMode}");
            config = config.Replace($"\"{runMode}\"", $"\"{target}\"", StringComparison.Ordinal);
        }
        config = config.Replace("  - alerts.yml", $"  - {rulesPath}", StringComparison.Ordinal);
        if (!string.IsNullOrEmpty(interval))
        {
            config = config.Replace("scrape_interval: 15s", $"scrape_interval: {interval}", StringComparison.Ordinal)
                .Replace("evaluation_interval: 15s", $"evaluation_interval: {interval}", StringComparison.Ordinal);
        }
        return config;
    }
}
