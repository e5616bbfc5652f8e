using Dean.IndexAgent;
using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evaluation;
using Dean.IndexAgent.Operators;
using Dean.ServiceDefaults.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dean.Bench.Evolution;

/// <summary>
/// The IndexAgent's own services, registered by the IndexAgent's own extension methods: the operators (with the builtin
/// operator's edit strategies exactly as the service registers them), the evaluation runner (real evaluator processes
/// and the validity gate) and the step's core, <see cref="CandidateTrial"/>. The benchmark has no edit of its own.
/// </summary>
public sealed class ProductServices : IDisposable
{
    private readonly ServiceProvider _provider;

    public ProductServices(int concurrentEvaluations)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration[$"{IndexAgentOptions.Section}:{nameof(IndexAgentOptions.MaxConcurrentEvaluations)}"] = concurrentEvaluations.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<DeanMeters>();
        builder.Services.AddSingleton<IndexAgentMetrics>();
        builder.AddWorkspaceAndEvaluation();
        builder.AddOperators();
        builder.Services.AddSingleton<CandidateTrial>();
        _provider = builder.Services.BuildServiceProvider();
        Operator = _provider.GetRequiredService<OperatorRegistry>().Find(OperatorRegistry.Default)!;
        Trials = _provider.GetRequiredService<CandidateTrial>();
        Evaluator = _provider.GetRequiredService<EvaluationRunner>();
    }

    /// <summary>The builtin operator the IndexAgent runs.</summary>
    public IMutationOperator Operator { get; }

    public CandidateTrial Trials { get; }

    public EvaluationRunner Evaluator { get; }

    public void Dispose() => _provider.Dispose();
}
