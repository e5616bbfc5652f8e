using System.Text.Json;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dean.Economy.Infrastructure;

/// <summary>Why an operation changed nothing: HTTP status, a stable ProblemDetails type, and a metrics reason for budget refusals.</summary>
public sealed record Refusal(int Status, string Type, string Detail, string? Reason = null)
{
    public static Refusal NotFound(string detail) => new(StatusCodes.Status404NotFound, ProblemTypes.NotFound, detail);
    public static Refusal Conflict(string type, string detail) => new(StatusCodes.Status409Conflict, type, detail);
    public static Refusal BudgetExceeded(string reason, string detail) => new(StatusCodes.Status409Conflict, ProblemTypes.BudgetExceeded, detail, reason);

    public ProblemHttpResult ToProblem() => Status switch
    {
        StatusCodes.Status404NotFound => Problems.NotFound(Detail),
        _ when Type == ProblemTypes.BudgetExceeded => Problems.BudgetExceeded(Detail, Reason is null ? null : new Dictionary<string, object?> { ["reason"] = Reason }),
        _ => Problems.Conflict(Type, Detail),
    };
}

/// <summary>The answer of a mutating operation: a value or a refusal; <see cref="Replayed"/> when it is a stored first answer.</summary>
public sealed record Outcome<T>(T? Value, Refusal? Refusal, bool Replayed = false)
{
    public static Outcome<T> Ok(T value) => new(value, null);
    public static Outcome<T> Refused(Refusal refusal) => new(default, refusal);

    public int Status(int successStatus) => Refusal?.Status ?? successStatus;

    /// <summary>The stored form of this answer (body = the value, or <c>{type, detail, reason}</c> for a refusal).</summary>
    public string ToStoredBody() => Refusal is { } r
        ? JsonSerializer.Serialize(new StoredRefusal(r.Type, r.Detail, r.Reason), StoredJson.Options)
        : JsonSerializer.Serialize(Value, StoredJson.Options);

    public static Outcome<T> FromStored(int status, string body, bool replayed)
    {
        if (status is >= 200 and < 300)
            return new(JsonSerializer.Deserialize<T>(body, StoredJson.Options) ?? throw new InvalidOperationException("empty stored answer"), null, replayed);
        var refusal = JsonSerializer.Deserialize<StoredRefusal>(body, StoredJson.Options)!;
        return new(default, new Refusal(status, refusal.Type, refusal.Detail, refusal.Reason), replayed);
    }
}

public sealed record StoredRefusal(string Type, string Detail, string? Reason);

public static class StoredJson
{
    /// <summary>The same conventions as the HTTP API, so a stored answer reads back into the same response.</summary>
    public static JsonSerializerOptions Options => Microsoft.Extensions.Hosting.Extensions.DeanJson;
}
