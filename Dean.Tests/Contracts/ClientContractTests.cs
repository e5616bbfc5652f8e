using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Dean.Tests.Contracts;

/// <summary>
/// Every method of every typed client, called against its server's checked-in OpenAPI document: the route and method
/// must exist, the query and body it sends must be what the operation declares (no unknown names, every required one),
/// a response shaped like the document's must read without error, and what the client returns must hold only
/// properties the server's response has.
/// </summary>
public sealed class ClientContractTests
{
    private static readonly JsonSerializerOptions Json = Microsoft.Extensions.Hosting.Extensions.DeanJson;

    /// <summary>Methods that return the client's own reading of the answer (granted or refused), not the wire record.</summary>
    private static readonly HashSet<string> ReturnsAReading = ["AllocateAsync"];

    private static readonly Dictionary<string, (string Service, Type Client)> Clients = new()
    {
        ["orchestrator-economy"] = ("Dean.Economy", typeof(Dean.Orchestrator.Clients.EconomyClient)),
        ["orchestrator-indexagent"] = ("Dean.IndexAgent", typeof(Dean.Orchestrator.Clients.IndexAgentClient)),
        ["indexagent-economy"] = ("Dean.Economy", typeof(Dean.IndexAgent.Economy.EconomyClient)),
    };

    [Theory]
    [InlineData("orchestrator-economy")]
    [InlineData("orchestrator-indexagent")]
    [InlineData("indexagent-economy")]
    public async Task Every_call_of_the_client_matches_the_server_document(string name)
    {
        var (service, clientType) = Clients[name];
        var document = new Document(OpenApiDocuments.Load(service));
        var problems = new List<string>();
        var methods = clientType.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => typeof(Task).IsAssignableFrom(m.ReturnType)).ToList();
        Assert.NotEmpty(methods);
        foreach (var method in methods)
        {
            var handler = new DocumentHandler(document);
            var client = Activator.CreateInstance(clientType, new HttpClient(handler) { BaseAddress = new Uri("http://service") })!;
            object? returned = null;
            try
            {
                var task = (Task)method.Invoke(client, method.GetParameters().Select(p => Sample(p.ParameterType, p.Name!)).ToArray())!;
                await task;
                returned = method.ReturnType.IsGenericType ? method.ReturnType.GetProperty("Result")!.GetValue(task) : null;
            }
            catch (Exception ex)
            {
                problems.Add($"{method.Name}: failed on a response shaped like the document's: {ex.GetType().Name}: {ex.Message}");
            }
            if (handler.Calls.Count == 0) problems.Add($"{method.Name}: made no call");
            problems.AddRange(handler.Problems.Select(p => $"{method.Name}: {p}"));
            if (returned is not null && !ReturnsAReading.Contains(method.Name) && handler.Calls.LastOrDefault() is { Response: JsonObject response })
                problems.AddRange(UnknownProperties(JsonSerializer.SerializeToNode(returned, returned.GetType(), Json), response, document, "response")
                    .Select(p => $"{method.Name}: the client reads {p}, which the server's response does not have"));
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>Names in <paramref name="value"/> (recursively through objects and arrays) that the schema does not declare.</summary>
    private static IEnumerable<string> UnknownProperties(JsonNode? value, JsonNode schema, Document document, string at)
    {
        schema = document.Resolve(schema);
        switch (value)
        {
            case JsonObject obj when document.Properties(schema) is { } properties:
                foreach (var (key, child) in obj)
                {
                    if (!properties.TryGetPropertyValue(key, out var childSchema)) yield return $"{at}.{key}";
                    else foreach (var p in UnknownProperties(child, childSchema!, document, $"{at}.{key}")) yield return p;
                }
                break;
            case JsonArray array when document.Items(schema) is { } items:
                foreach (var child in array)
                    foreach (var p in UnknownProperties(child, items, document, $"{at}[]")) yield return p;
                break;
        }
    }

    /// <summary>A plausible argument: ids and names as strings, small positive numbers, empty lists, default records.</summary>
    private static object? Sample(Type type, string name)
    {
        if (type == typeof(CancellationToken)) return CancellationToken.None;
        if (Nullable.GetUnderlyingType(type) is { } inner) return Sample(inner, name);
        if (type == typeof(string)) return name.Contains("priority", StringComparison.OrdinalIgnoreCase) ? "normal" : $"{name}_001";
        if (type == typeof(int)) return 1;
        if (type == typeof(long)) return 1L;
        if (type == typeof(double)) return 0.5;
        if (type == typeof(bool)) return false;
        if (type == typeof(Guid)) return Guid.Parse("00000000-0000-0000-0000-000000000001");
        if (type == typeof(DateTimeOffset)) return DateTimeOffset.UnixEpoch;
        if (type == typeof(HttpMethod)) return HttpMethod.Get;
        if (type.IsEnum) return Enum.GetValues(type).GetValue(0);
        if (type.IsGenericType && type.GetGenericArguments() is [var element] && typeof(System.Collections.IEnumerable).IsAssignableFrom(type))
            return Array.CreateInstance(element, 0);
        return type.IsValueType ? Activator.CreateInstance(type) : RuntimeHelpers.GetUninitializedObject(type);
    }

    private sealed record Call(string Method, string Path, JsonNode? Response);

    /// <summary>Answers each request with a body generated from the document's schema for that operation, and checks the request.</summary>
    private sealed class DocumentHandler(Document document) : HttpMessageHandler
    {
        public List<Call> Calls { get; } = [];
        public List<string> Problems { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var method = request.Method.Method.ToLowerInvariant();
            var path = request.RequestUri!.AbsolutePath;
            var where = $"{request.Method} {path}";
            if (document.Find(path, method) is not { } operation)
            {
                Problems.Add($"{where} is not an operation of the server's document");
                Calls.Add(new Call(method, path, null));
                return new HttpResponseMessage(HttpStatusCode.NotFound);
            }

            var declared = operation["parameters"]?.AsArray().Select(p => document.Resolve(p!)).Where(p => (string?)p["in"] == "query")
                .Select(p => (string)p["name"]!).ToHashSet() ?? [];
            foreach (var key in System.Web.HttpUtility.ParseQueryString(request.RequestUri.Query).AllKeys.OfType<string>().Where(k => !declared.Contains(k)))
                Problems.Add($"{where}: query parameter '{key}' is not declared");

            var body = request.Content is null ? null : JsonNode.Parse(await request.Content.ReadAsStringAsync(cancellationToken) is { Length: > 0 } text ? text : "null");
            var bodySchema = operation["requestBody"]?["content"]?["application/json"]?["schema"];
            if (body is JsonObject sent)
            {
                if (bodySchema is null && sent.Count > 0) Problems.Add($"{where}: sends a body the operation does not take");
                else if (bodySchema is not null)
                {
                    Problems.AddRange(UnknownProperties(sent, bodySchema, document, "body").Select(p => $"{where}: sends {p}, which the operation does not declare"));
                    foreach (var required in document.Resolve(bodySchema)["required"]?.AsArray().Select(r => (string)r!) ?? [])
                        if (!sent.ContainsKey(required)) Problems.Add($"{where}: omits the required body property '{required}'");
                }
            }
            else if (bodySchema is not null && operation["requestBody"]?["required"]?.GetValue<bool>() == true)
                Problems.Add($"{where}: sends no JSON object, but the operation requires a body");

            var (status, schema) = document.Success(operation);
            var response = schema is null ? null : document.Example(schema);
            Calls.Add(new Call(method, path, schema is null ? null : document.Resolve(schema)));
            return new HttpResponseMessage((HttpStatusCode)status)
            {
                Content = response is null ? new ByteArrayContent([]) : new StringContent(response.ToJsonString(), Encoding.UTF8, "application/json"),
            };
        }
    }

    /// <summary>The parts of an OpenAPI 3.1 document the test reads: operations by path template, schemas, examples.</summary>
    private sealed class Document(JsonObject root)
    {
        private readonly List<(Regex Template, JsonObject Item)> _paths = root["paths"]!.AsObject()
            .Select(p => (new Regex("^" + Regex.Replace(Regex.Escape(p.Key), @"\\\{[^}]+}", "[^/]+") + "$"), p.Value!.AsObject()))
            .ToList();

        public JsonObject? Find(string path, string method) =>
            _paths.Where(p => p.Template.IsMatch(path)).Select(p => p.Item[method]).OfType<JsonObject>().FirstOrDefault();

        public JsonNode Resolve(JsonNode schema)
        {
            while (schema is JsonObject o && (string?)o["$ref"] is { } reference)
                schema = reference.TrimStart('#', '/').Split('/').Aggregate((JsonNode)root, (node, part) => node[part]!);
            return schema;
        }

        /// <summary>The operation's first success status and its JSON schema (null when it answers without a body).</summary>
        public (int Status, JsonNode? Schema) Success(JsonObject operation)
        {
            var (code, response) = operation["responses"]!.AsObject().First(r => r.Key.StartsWith('2'));
            return (int.Parse(code), response?["content"]?["application/json"]?["schema"]);
        }

        public JsonObject? Properties(JsonNode schema) => Variant(Resolve(schema), "object")?["properties"] as JsonObject;

        public JsonNode? Items(JsonNode schema) => Variant(Resolve(schema), "array")?["items"];

        /// <summary>A value the schema accepts, with every declared property.</summary>
        public JsonNode? Example(JsonNode schema, int depth = 0)
        {
            schema = Resolve(schema);
            if (depth > 12) return null;
            if (schema["enum"] is JsonArray values) return values.FirstOrDefault(v => v is not null)?.DeepClone();
            if (Variant(schema, "object") is { } obj && obj["properties"] is JsonObject properties)
                return new JsonObject(properties.Select(p => KeyValuePair.Create(p.Key, Example(p.Value!, depth + 1))));
            if (Variant(schema, "object") is not null) return new JsonObject();
            if (Variant(schema, "array") is { } array) return new JsonArray(array["items"] is { } items ? Example(items, depth + 1) : null);
            var type = Types(schema).FirstOrDefault(t => t != "null");
            return type switch
            {
                "integer" => 1,
                "number" => 0.5,
                "boolean" => true,
                "string" => (string?)schema["format"] switch
                {
                    "date-time" => "2026-01-01T00:00:00+00:00",
                    "uuid" => "00000000-0000-0000-0000-000000000001",
                    _ => "x",
                },
                _ => null,
            };
        }

        /// <summary>The schema itself when it has <paramref name="type"/>, else its oneOf/anyOf/allOf member that has it.</summary>
        private JsonNode? Variant(JsonNode schema, string type)
        {
            if (Types(schema).Contains(type) || (type == "object" && schema["properties"] is not null)) return schema;
            foreach (var key in new[] { "oneOf", "anyOf", "allOf" })
                if (schema[key] is JsonArray members)
                    foreach (var member in members)
                        if (Variant(Resolve(member!), type) is { } found) return found;
            return null;
        }

        private static IEnumerable<string> Types(JsonNode schema) => schema["type"] switch
        {
            JsonValue v => [(string)v!],
            JsonArray a => a.Select(t => (string)t!),
            _ => [],
        };
    }
}
