using System.Text.Json.Nodes;

namespace Dean.Tests.Contracts;

/// <summary>The services' OpenAPI documents: the build's (obj/openapi) and the checked-in ones (docs/openapi).</summary>
public static class OpenApiDocuments
{
    public static readonly string[] Services = ["Dean.Economy", "Dean.IndexAgent", "Dean.Orchestrator"];

    public static string RepositoryRoot { get; } = FindRoot();

    public static string BuiltPath(string service) => Path.Combine(RepositoryRoot, service, "obj", "openapi", $"{service}.json");

    public static string CheckedInPath(string service) => Path.Combine(RepositoryRoot, "docs", "openapi", $"{service}.json");

    public static JsonObject Load(string service) => (JsonObject)JsonNode.Parse(File.ReadAllText(CheckedInPath(service)))!;

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Dean.sln"))) return directory.FullName;
        throw new InvalidOperationException("Dean.sln not found above the test assembly");
    }
}

public sealed class OpenApiDocumentTests
{
    [Theory]
    [InlineData("Dean.Economy")]
    [InlineData("Dean.IndexAgent")]
    [InlineData("Dean.Orchestrator")]
    public void The_checked_in_document_is_the_one_the_build_generates(string service)
    {
        var built = OpenApiDocuments.BuiltPath(service);
        Assert.True(File.Exists(built), $"the build wrote no {built}");
        var expected = File.ReadAllText(OpenApiDocuments.CheckedInPath(service)).ReplaceLineEndings();
        var actual = File.ReadAllText(built).ReplaceLineEndings();
        Assert.True(expected == actual,
            $"docs/openapi/{service}.json differs from the build's document: the contract changed. Review the change, then copy {built} to docs/openapi/.");
    }

    [Theory]
    [InlineData("Dean.Economy")]
    [InlineData("Dean.IndexAgent")]
    [InlineData("Dean.Orchestrator")]
    public void Every_operation_has_a_name_a_summary_and_a_tag(string service)
    {
        var paths = OpenApiDocuments.Load(service)["paths"]!.AsObject();
        Assert.NotEmpty(paths);
        foreach (var (path, item) in paths)
            foreach (var (method, operation) in item!.AsObject())
            {
                Assert.False(string.IsNullOrWhiteSpace((string?)operation!["operationId"]), $"{method} {path} has no operationId (WithName)");
                Assert.False(string.IsNullOrWhiteSpace((string?)operation["summary"]), $"{method} {path} has no summary (WithSummary)");
                Assert.NotEmpty(operation["tags"]!.AsArray());
            }
    }
}
