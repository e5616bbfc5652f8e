using System.Net;
using System.Net.Sockets;

namespace Dean.Tests.IndexAgent;

/// <summary>
/// Counts runs of a sandboxed command from outside: nothing a command writes outlives its sandbox, so a test's
/// evaluator announces each run by connecting here (its task must allow the network). <see cref="Command"/> is the
/// shell line that does it.
/// </summary>
public sealed class EvaluationWitness : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _runs;

    public EvaluationWitness()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Command => $"/usr/bin/python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {Port}), timeout=5).close()'";

    /// <summary>The runs seen so far; a connection may land a moment after its command ended, so it waits briefly for <paramref name="atLeast"/>.</summary>
    public async Task<int> RunsAsync(int atLeast = 0)
    {
        for (var i = 0; i < 50 && Volatile.Read(ref _runs) < atLeast; i++) await Task.Delay(20);
        return Volatile.Read(ref _runs);
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _runs);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
