using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dean.ServiceDefaults.Metrics;

/// <summary><c>dean_api_requests_total</c> and <c>dean_api_request_duration_seconds</c> by service, method, route and status.</summary>
public sealed class ApiRequestMetrics
{
    public const string MeterName = "Dean.Api";
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly string _service;

    public ApiRequestMetrics(IMeterFactory factory, ServiceIdentity identity)
    {
        var meter = factory.Create(MeterName);
        _service = identity.Name;
        _requests = meter.CreateCounter<long>("dean_api_requests", description: "HTTP API requests handled");
        _duration = meter.CreateHistogram<double>("dean_api_request_duration", unit: "s", description: "HTTP API request duration",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
    }

    public void Record(string method, string route, int status, double seconds)
    {
        var tags = new TagList { { "service", _service }, { "method", method }, { "route", route }, { "status", status.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        _requests.Add(1, tags);
        _duration.Record(seconds, tags);
    }
}

public sealed class ApiRequestMetricsMiddleware(RequestDelegate next, ApiRequestMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            // The route template, not the raw path, keeps label cardinality bounded.
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            if (!route.StartsWith('/')) route = "/" + route;
            metrics.Record(context.Request.Method, route, context.Response.StatusCode, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }
}
