namespace Dean.Orchestrator.OperatorConsole;

/// <summary>
/// Re-reads a page's data every <see cref="Interval"/> inside its circuit, until the read says there is nothing more to
/// wait for or the page goes away. The store is the truth the API answers from, so the page shows what the API would.
/// </summary>
public sealed class PeriodicRefresh : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>Starts the loop once; <paramref name="refresh"/> returns whether to keep refreshing.</summary>
    public void Start(Func<CancellationToken, Task<bool>> refresh) => _loop ??= RunAsync(refresh);

    private async Task RunAsync(Func<CancellationToken, Task<bool>> refresh)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token) && await refresh(_stop.Token)) { }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The page was closed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}
