using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Dean.Orchestrator.Auth;

public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/auth").WithTags("Auth");

        api.MapPost("/login", LoginAsync).AllowAnonymous()
            .WithName("Login").WithSummary("Exchange a username and password for an access and a refresh token");
        api.MapPost("/refresh", RefreshAsync).AllowAnonymous()
            .WithName("Refresh").WithSummary("Exchange a refresh token (once) for new tokens");
        api.MapGet("/me", MeAsync).RequireAuthorization()
            .WithName("Me").WithSummary("The signed-in user");
        api.MapPost("/users", CreateUserAsync).RequireAuthorization(Policies.Admin)
            .WithName("CreateUser").WithSummary("Create a user (admin)");
        api.MapGet("/users", ListUsersAsync).RequireAuthorization(Policies.Admin)
            .WithName("ListUsers").WithSummary("List users (admin)");
        app.MapKeyRotationApi();
        return app;
    }

    public sealed record CreateUserRequest(string? Username, string? Password, string? Role);

    public sealed record UserResponse(string Username, string Role, DateTime CreatedAt);

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        LoginRequest request, HttpContext context, CredentialThrottle throttle, UserStore users, TokenIssuer issuer, IOptions<JwtOptions> jwt, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Username)) return Problems.Invalid("username", "username is required");
        if (string.IsNullOrEmpty(request.Password)) return Problems.Invalid("password", "password is required");
        var (blocked, user) = await throttle.AttemptAsync(request.Username, context.Connection.RemoteIpAddress,
            () => users.VerifyAsync(request.Username, request.Password, ct));
        if (blocked) return TooManyFailures(throttle);
        if (user is null) return Problems.Unauthorized("Unknown user or wrong password.");
        return TypedResults.Ok(await IssueAsync(user, users, issuer, jwt.Value, ct));
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> RefreshAsync(
        RefreshRequest request, HttpContext context, CredentialThrottle throttle, UserStore users, TokenIssuer issuer, IOptions<JwtOptions> jwt, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.RefreshToken)) return Problems.Invalid("refresh_token", "refresh_token is required");
        var (blocked, user) = await throttle.AttemptAsync(null, context.Connection.RemoteIpAddress,
            () => users.RedeemRefreshTokenAsync(request.RefreshToken, ct));
        if (blocked) return TooManyFailures(throttle);
        if (user is null) return Problems.Unauthorized("The refresh token is unknown, already used or expired.");
        return TypedResults.Ok(await IssueAsync(user, users, issuer, jwt.Value, ct));
    }

    private static ProblemHttpResult TooManyFailures(CredentialThrottle throttle) =>
        Problems.TooManyAttempts($"Refused: {throttle.Describe()}; try again later.", throttle.Window);

    private static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> MeAsync(HttpContext context, UserStore users, CancellationToken ct)
    {
        var subject = context.User.FindFirst(TokenIssuer.SubjectClaim)?.Value ?? "";
        var user = await users.FindAsync(subject, ct);
        return user is null
            ? TypedResults.Ok(new UserResponse(subject, context.User.Role() ?? "", DateTime.MinValue))
            : TypedResults.Ok(new UserResponse(user.Username, user.Role, user.CreatedAt));
    }

    private static async Task<Results<Created<UserResponse>, ValidationProblem, ProblemHttpResult>> CreateUserAsync(
        CreateUserRequest request, UserStore users, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Username) || !System.Text.RegularExpressions.Regex.IsMatch(request.Username, "^[a-zA-Z0-9_.@-]{3,64}$"))
            errors["username"] = ["username must be 3-64 characters of letters, digits, _ . @ -"];
        if (string.IsNullOrEmpty(request.Password) || request.Password.Length < UserStore.MinPasswordLength)
            errors["password"] = [$"password must have at least {UserStore.MinPasswordLength} characters"];
        if (!Roles.IsUserRole(request.Role))
            errors["role"] = ["role must be admin, operator or viewer"];
        if (errors.Count > 0) return Problems.Invalid(errors);

        if (!await users.CreateAsync(request.Username!, request.Password!, request.Role!, ct))
            return Problems.Conflict("user_exists", $"User '{request.Username}' already exists.");
        var user = (await users.FindAsync(request.Username!, ct))!;
        return TypedResults.Created($"/api/v1/auth/users/{user.Username}", new UserResponse(user.Username, user.Role, user.CreatedAt));
    }

    private static async Task<Ok<IReadOnlyList<User>>> ListUsersAsync(UserStore users, CancellationToken ct) =>
        TypedResults.Ok(await users.ListAsync(ct));

    private static async Task<TokenResponse> IssueAsync(User user, UserStore users, TokenIssuer issuer, JwtOptions jwt, CancellationToken ct)
    {
        var access = issuer.Issue(user.Username, user.Role);
        var refresh = await users.IssueRefreshTokenAsync(user.Username, TimeSpan.FromDays(jwt.RefreshTokenDays), ct);
        return new TokenResponse(access, refresh, "Bearer", (int)issuer.AccessTokenLifetime.TotalSeconds);
    }
}
