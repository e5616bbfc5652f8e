using Dean.Bench.Evolution;
using Dean.IndexAgent.Operators;
using Dean.IndexAgent.Operators.Builtin;

namespace Dean.Tests.Evolution;

/// <summary>The evolution benchmark measures the product: it has no edit, operator or step of its own.</summary>
public sealed class BenchmarkOperatorTests
{
    [Fact]
    public void The_benchmark_runs_the_operator_the_IndexAgent_registers()
    {
        var bench = typeof(ProductServices).Assembly;
        Assert.DoesNotContain(bench.GetTypes(), t => typeof(IEditStrategy).IsAssignableFrom(t) || typeof(IMutationOperator).IsAssignableFrom(t));

        using var product = new ProductServices(1);
        Assert.IsType<BuiltinOperator>(product.Operator);
        Assert.Same(typeof(BuiltinOperator).Assembly, product.Operator.GetType().Assembly);
        Assert.Same(typeof(Dean.IndexAgent.Agents.CandidateTrial), product.Trials.GetType());

        // No source file of the benchmark writes an edit: no literal perturbation, line edit or diff of its own.
        var benchSources = Directory.EnumerateFiles(Path.Combine(TempRepositoryRoot(), "bench", "Dean.Bench.Evolution"), "*.cs", SearchOption.TopDirectoryOnly).ToList();
        Assert.NotEmpty(benchSources);
        foreach (var source in benchSources)
        {
            var text = File.ReadAllText(source);
            Assert.DoesNotContain("Regex", text);
            Assert.DoesNotContain("TryEdit", text);
            Assert.DoesNotContain("Gaussian", text);
        }
    }

    private static string TempRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Dean.sln"))) return directory.FullName;
        throw new InvalidOperationException("Dean.sln not found");
    }
}
