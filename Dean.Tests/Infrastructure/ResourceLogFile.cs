using Microsoft.Extensions.Logging;

namespace Dean.Tests.Infrastructure;

/// <summary>
/// Writes every log line of the test AppHost (its resources' request logs included) to one file under
/// <c>Dean.Tests/TestResults/</c>, so that the console shows the tests and a failure can still be read in full.
/// </summary>
public sealed class ResourceLogFile : ILoggerProvider
{
    private readonly StreamWriter _writer;
    private readonly Lock _gate = new();

    public ResourceLogFile(string directory)
    {
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(directory, $"apphost-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.log");
        _writer = new StreamWriter(Path, append: false) { AutoFlush = true };
    }

    public string Path { get; }

    /// <summary><c>Dean.Tests/TestResults/</c> of the source tree (the tests run from <c>bin/Release/net10.0</c>).</summary>
    public static string DefaultDirectory =>
        System.IO.Path.GetFullPath(System.IO.Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "TestResults"));

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose()
    {
        lock (_gate) _writer.Dispose();
    }

    private void Write(string line)
    {
        lock (_gate)
        {
            try
            {
                _writer.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // A resource's last lines may arrive while the AppHost is disposed.
            }
        }
    }

    private sealed class FileLogger(ResourceLogFile file, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {category}: {formatter(state, exception)}";
            file.Write(exception is null ? line : $"{line}\n{exception}");
        }
    }
}
