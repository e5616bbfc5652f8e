using Dean.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dean.ServiceDefaults.Http;

/// <summary>The ProblemDetails DEAN answers with; <c>type</c> is a stable machine-readable code.</summary>
public static class Problems
{
    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, type: ProblemTypes.ValidationError, title: "Invalid request");

    public static ValidationProblem Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, type: ProblemTypes.ValidationError, title: "Invalid request");

    public static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, type: ProblemTypes.NotFound, title: "Not found", detail: what);

    public static ProblemHttpResult Conflict(string type, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, type: type, title: "Conflict", detail: detail, extensions: extensions);

    public static ProblemHttpResult BudgetExceeded(string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, type: ProblemTypes.BudgetExceeded, title: "Budget exceeded", detail: detail, extensions: extensions);

    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, type: ProblemTypes.Forbidden, title: "Forbidden", detail: detail);

    public static ProblemHttpResult TooManyAttempts(string detail, TimeSpan retryAfter) =>
        TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, type: ProblemTypes.TooManyAttempts, title: "Too many attempts", detail: detail,
            extensions: new Dictionary<string, object?> { ["retry_after_seconds"] = (int)Math.Ceiling(retryAfter.TotalSeconds) });

    public static ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, type: ProblemTypes.Unauthorized, title: "Unauthorized", detail: detail);
}
