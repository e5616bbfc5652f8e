using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Dean.Tests.Infrastructure;

/// <summary>
/// A minimal OpenAI chat-completions endpoint on a local port, standing in for a paid LLM provider: the real client
/// code (Microsoft.Extensions.AI over the OpenAI client) talks HTTP to it. It records every request and answers with
/// what <c>respond</c> makes of the request body: the assistant's text and the usage to report.
/// </summary>
public sealed class ChatCompletionsStandIn : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public ChatCompletionsStandIn(string answer, int promptTokens, int completionTokens)
        : this(_ => (answer, promptTokens, completionTokens))
    {
    }

    public ChatCompletionsStandIn(Func<JsonElement, (string Answer, int PromptTokens, int CompletionTokens)> respond)
    {
        var port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        Endpoint = $"http://127.0.0.1:{port}/v1";
        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception) { return; }
                using var reader = new StreamReader(context.Request.InputStream);
                var body = JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement.Clone();
                lock (Requests) Requests.Add((context.Request.Url!.AbsolutePath, context.Request.Headers["Authorization"], body));
                var (answer, promptTokens, completionTokens) = respond(body);
                var response = JsonSerializer.Serialize(new
                {
                    id = "chatcmpl-stand-in", @object = "chat.completion", created = 1_700_000_000, model = body.GetProperty("model").GetString(),
                    choices = new[] { new { index = 0, message = new { role = "assistant", content = answer }, finish_reason = "stop" } },
                    usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
                });
                var bytes = Encoding.UTF8.GetBytes(response);
                context.Response.ContentType = "application/json";
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        });
    }

    public string Endpoint { get; }
    public List<(string Path, string? Authorization, JsonElement Body)> Requests { get; } = [];

    /// <summary>The last user message of a chat-completions request.</summary>
    public static string UserMessage(JsonElement body) =>
        body.GetProperty("messages").EnumerateArray().Last(m => m.GetProperty("role").GetString() == "user").GetProperty("content").ToString();

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
