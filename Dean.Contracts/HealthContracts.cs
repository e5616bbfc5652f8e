namespace Dean.Contracts;

/// <summary>Every service's public <c>GET /health</c>: <c>healthy</c>, <c>degraded</c> (both 200) or <c>unhealthy</c> (503).</summary>
public sealed record HealthResponse(string Status, string Service, string Version, IReadOnlyDictionary<string, HealthComponent> Components);

public sealed record HealthComponent(string Status, double DurationMs, string? Description);
