using Dean.Economy.Accounts;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dean.Economy.Infrastructure;

/// <summary>Collects every problem of a request body so one 400 names them all.</summary>
public sealed class RequestValidation
{
    public const long MaxTokens = 1_000_000_000_000;
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public ValidationProblem Problem() => Problems.Invalid(_errors);

    public void Add(string field, string message) => _errors[field] = _errors.TryGetValue(field, out var m) ? [.. m, message] : [message];

    /// <summary>An agent or pool id: printable, at most 200 characters, and not the global budget's own name.</summary>
    public string AccountId(string field, string? value, bool required = true)
    {
        if (value is null)
        {
            if (required) Add(field, "is required");
            return "";
        }
        if (value.Length is 0 or > 200 || value.Any(ch => char.IsWhiteSpace(ch) || char.IsControl(ch)))
            Add(field, "must be 1-200 characters without spaces");
        else if (value == AccountBook.Global) Add(field, "'global' is the global budget, not an account");
        else if (value == AccountBook.PoolPrefix) Add(field, "a pool id needs a cycle id after 'cycle:'");
        return value;
    }

    /// <summary>A pool reference: <c>cycle:{id}</c>.</summary>
    public string? Pool(string field, string? value)
    {
        if (value is null) return null;
        AccountId(field, value);
        if (!AccountBook.IsPool(value)) Add(field, "must name a cycle pool as 'cycle:{id}'");
        return value;
    }

    public long Tokens(string field, long? value, bool allowZero = false)
    {
        if (value is null) Add(field, "is required");
        else if (value < (allowZero ? 0 : 1) || value > MaxTokens) Add(field, allowZero ? $"must be between 0 and {MaxTokens}" : $"must be between 1 and {MaxTokens}");
        return value ?? 0;
    }

    public string? Key(string? value, bool required)
    {
        if (value is null)
        {
            if (required) Add("idempotency_key", "is required");
        }
        else if (value.Length is 0 or > 200) Add("idempotency_key", "must be 1-200 characters");
        return value;
    }
}

public static class OutcomeResults
{
    public static Results<Ok<T>, ValidationProblem, ProblemHttpResult> ToOk<T>(this Outcome<T> outcome)
    {
        if (outcome.Refusal is { } refusal) return refusal.ToProblem();
        return TypedResults.Ok(outcome.Value!);
    }
}
