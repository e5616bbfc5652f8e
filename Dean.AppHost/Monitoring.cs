namespace Dean.AppHost;

public static class Monitoring
{
    /// <summary>
    /// Prometheus pre-loaded with <c>monitoring/prometheus.yml</c> and <c>alerts.yml</c>, on port 9090, when
    /// <c>Monitoring:Prometheus=true</c> (off by default). The local binary when installed (Debian package
    /// <c>prometheus</c>), otherwise the <c>prom/prometheus</c> container. The config scrapes the run-mode ports.
    /// </summary>
    public static IDistributedApplicationBuilder AddDeanPrometheus(this IDistributedApplicationBuilder builder, InfraOptions infra)
    {
        if (!string.Equals(builder.Configuration["Monitoring:Prometheus"], "true", StringComparison.OrdinalIgnoreCase)) return builder;
        var config = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "monitoring"));
        var binary = new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" }.FirstOrDefault(File.Exists);
        if (binary is not null && !infra.UseContainers)
        {
            var data = Path.Combine(infra.DataDirectory, "prometheus");
            Directory.CreateDirectory(data);
            builder.AddExecutable("prometheus", binary, config,
                    "--config.file=prometheus.yml", $"--storage.tsdb.path={data}", "--web.listen-address=:9090")
                .WithHttpEndpoint(targetPort: 9090, port: 9090, name: "http", isProxied: false)
                .WithHttpHealthCheck("/-/ready");
        }
        else
        {
            // In a container localhost is the container: scrape the host instead.
            builder.AddContainer("prometheus", "prom/prometheus")
                .WithBindMount(config, "/etc/prometheus", isReadOnly: true)
                .WithArgs("--config.file=/etc/prometheus/prometheus.yml")
                .WithHttpEndpoint(targetPort: 9090, port: 9090, name: "http")
                .WithContainerRuntimeArgs("--add-host=localhost:host-gateway");
        }
        return builder;
    }
}
