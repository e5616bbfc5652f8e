using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Dean.ServiceDefaults.Metrics;

/// <summary>The meter and activity source all DEAN domain instruments hang off; exported by Prometheus and OTLP.</summary>
public sealed class DeanMeters : IDisposable
{
    public const string Name = "Dean";
    public static readonly ActivitySource ActivitySource = new(Name);

    public DeanMeters(IMeterFactory factory) => Meter = factory.Create(Name);

    public Meter Meter { get; }

    public void Dispose() => Meter.Dispose();
}
