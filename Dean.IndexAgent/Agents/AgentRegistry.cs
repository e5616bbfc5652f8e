using StackExchange.Redis;

namespace Dean.IndexAgent.Agents;

/// <summary>
/// The live registry in Redis: set <c>agents:active</c> and string <c>agents:status:{id}</c>. It mirrors PostgreSQL and is
/// rebuilt from it at start-up, so a Redis outage degrades the registry but never fails an agent operation.
/// </summary>
public sealed class AgentRegistry(IConnectionMultiplexer redis, ILogger<AgentRegistry> logger)
{
    public const string ActiveKey = "agents:active";
    public static string StatusKey(string id) => $"agents:status:{id}";

    public async Task SetAsync(string id, string status)
    {
        try
        {
            var db = redis.GetDatabase();
            var batch = db.CreateBatch();
            var tasks = new List<Task>
            {
                status == AgentStatus.Active ? batch.SetAddAsync(ActiveKey, id) : batch.SetRemoveAsync(ActiveKey, id),
                batch.StringSetAsync(StatusKey(id), status),
            };
            batch.Execute();
            await Task.WhenAll(tasks);
        }
        catch (RedisException ex)
        {
            logger.LogWarning(ex, "Redis registry not updated for {Agent} ({Status})", id, status);
        }
    }

    public async Task RebuildAsync(IReadOnlyList<(string Id, string Status)> agents)
    {
        try
        {
            var db = redis.GetDatabase();
            var transaction = db.CreateTransaction();
            _ = transaction.KeyDeleteAsync(ActiveKey);
            var active = agents.Where(a => a.Status == AgentStatus.Active).Select(a => (RedisValue)a.Id).ToArray();
            if (active.Length > 0) _ = transaction.SetAddAsync(ActiveKey, active);
            foreach (var (id, status) in agents) _ = transaction.StringSetAsync(StatusKey(id), status);
            await transaction.ExecuteAsync();
        }
        catch (RedisException ex)
        {
            logger.LogWarning(ex, "Redis registry not rebuilt");
        }
    }
}
