namespace Dean.Contracts;

/// <summary>
/// The stable, machine-readable ProblemDetails <c>type</c>s that a client reads or that more than one service answers with.
/// Types only one endpoint answers with (<c>target_exists</c>, <c>user_exists</c>, ...) stay beside that endpoint.
/// </summary>
public static class ProblemTypes
{
    public const string ValidationError = "validation_error";
    public const string NotFound = "not_found";
    /// <summary>Authenticated, but the caller's role may not do this (403).</summary>
    public const string Forbidden = "forbidden";

    /// <summary>Too many failed sign-ins for the user or the address in the current window (429).</summary>
    public const string TooManyAttempts = "too_many_attempts";

    public const string Unauthorized = "unauthorized";

    /// <summary>409: the budget (or the pool) cannot fund the request.</summary>
    public const string BudgetExceeded = "budget_exceeded";

    /// <summary>409: the agent is paused, retired or archived, so it cannot take a step.</summary>
    public const string AgentNotActive = "agent_not_active";

    /// <summary>409: the agent belongs to a cycle that has not ended; an agent is in one running cycle at a time.</summary>
    public const string AgentBusy = "agent_busy";

    public const string SourceMismatch = "source_mismatch";
    public const string InvalidStatus = "invalid_status";
    public const string IdempotencyKeyReused = "idempotency_key_reused";
    public const string EconomyUnavailable = "economy_unavailable";
}
