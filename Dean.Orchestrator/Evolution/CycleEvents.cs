using System.Text.Json;
using StackExchange.Redis;

namespace Dean.Orchestrator.Evolution;

/// <summary>A progress event of a cycle, as streamed to <c>GET /evolution/{id}/events</c>.</summary>
public sealed record CycleEvent(string Type, string CycleId, string Status, int Generation, DateTime At, object? Data = null);

/// <summary>Progress events and stop signals over Redis pub/sub, so every orchestrator replica sees them.</summary>
public sealed class CycleEvents(IConnectionMultiplexer redis)
{
    private static readonly JsonSerializerOptions Json = Microsoft.Extensions.Hosting.Extensions.DeanJson;
    public static RedisChannel ProgressChannel(string cycleId) => RedisChannel.Literal($"dean:cycles:{cycleId}:events");
    public static readonly RedisChannel StopChannel = RedisChannel.Literal("dean:cycles:stop");

    public Task PublishAsync(CycleEvent e) =>
        redis.GetSubscriber().PublishAsync(ProgressChannel(e.CycleId), JsonSerializer.Serialize(e, Json));

    public Task SignalStopAsync(string cycleId) => redis.GetSubscriber().PublishAsync(StopChannel, cycleId);

    /// <summary>A token cancelled when a stop for <paramref name="cycleId"/> is signalled; dispose to unsubscribe.</summary>
    public async Task<StopListener> ListenForStopAsync(string cycleId)
    {
        var listener = new StopListener(redis.GetSubscriber());
        await listener.SubscribeAsync(cycleId);
        return listener;
    }

    /// <summary>Streams the cycle's events until the caller stops reading.</summary>
    public async IAsyncEnumerable<string> SubscribeAsync(string cycleId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var queue = await redis.GetSubscriber().SubscribeAsync(ProgressChannel(cycleId));
        try
        {
            while (!ct.IsCancellationRequested)
            {
                ChannelMessage message;
                try
                {
                    message = await queue.ReadAsync(ct);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
                yield return message.Message.ToString();
            }
        }
        finally
        {
            await queue.UnsubscribeAsync();
        }
    }

    public sealed class StopListener(ISubscriber subscriber) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stopped = new();
        private string _cycleId = "";

        public CancellationToken Token => _stopped.Token;

        internal Task SubscribeAsync(string cycleId)
        {
            _cycleId = cycleId;
            return subscriber.SubscribeAsync(StopChannel, OnMessage);
        }

        private void OnMessage(RedisChannel channel, RedisValue value)
        {
            if (value == _cycleId) _stopped.Cancel();
        }

        public void Cancel() => _stopped.Cancel();

        public async ValueTask DisposeAsync()
        {
            await subscriber.UnsubscribeAsync(StopChannel, OnMessage);
            _stopped.Dispose();
        }
    }
}
