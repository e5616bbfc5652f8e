namespace Dean.Bench;

/// <summary>The checkout a benchmark runs from: the nearest directory above its binaries that holds <c>Dean.sln</c>.</summary>
public static class BenchRepository
{
    /// <param name="otherwise">What to pass instead when the benchmark runs outside a checkout, for the error.</param>
    public static string Root(string? otherwise = null)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Dean.sln"))) return directory.FullName;
        throw new InvalidOperationException("Dean.sln not found above the benchmark" + (otherwise is null ? "" : $"; pass {otherwise}"));
    }
}
