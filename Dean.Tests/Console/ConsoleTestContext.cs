using System.Security.Claims;
using Bunit;
using Dean.Contracts.Orchestrator;
using Dean.Orchestrator.Auth;
using Dean.Orchestrator.OperatorConsole;
using Dean.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FluentUI.AspNetCore.Components;

namespace Dean.Tests.OperatorConsole;

/// <summary>
/// A bUnit context as the console's circuit has it: the FluentUI services, DEAN's real policies, and a signed-in user
/// whose principal is the console cookie's (<see cref="ConsoleAuthentication.Principal"/>) with the given role.
/// </summary>
public sealed class ConsoleTestContext : BunitContext
{
    public ConsoleTestContext(string role)
    {
        // The FluentUI components load their scripts through JS interop, which has no browser here.
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddFluentUIComponents();
        Services.AddDeanPolicies();
        // bUnit puts a placeholder authorization service in first: the real one decides here, with the real policies.
        Services.AddSingleton<IAuthorizationService, DefaultAuthorizationService>();
        Services.AddCascadingAuthenticationState();
        Services.AddSingleton<AuthenticationStateProvider>(new SignedIn(ConsoleAuthentication.Principal(new User($"a-{role}", role, DateTime.UnixEpoch))));
    }

    private sealed class SignedIn(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }
}

/// <summary>Fixed cycles for the console's components.</summary>
public static class ConsoleData
{
    public static GenerationResponse Generation(int generation, double? best, double? mean, double? diversity, long tokens) =>
        new(generation, best, mean, diversity, 1, 4, tokens, new Dictionary<string, int>(), DateTime.UnixEpoch, DateTime.UnixEpoch);

    /// <summary>Generation 2 has no score, generation 3 is worse than 1: best-so-far must hold 0.5, then rise to 0.9.</summary>
    public static readonly IReadOnlyList<GenerationResponse> Generations =
    [
        Generation(1, 0.5, 0.25, 0.8, 1000),
        Generation(2, null, null, 0.6, 1200),
        Generation(3, 0.4, 0.3, 0.2, 900),
        Generation(4, 0.9, 0.6, 0.35, 1500),
    ];

    public static CycleStatusResponse Cycle(string id = "cycle_007", string status = CycleStatus.Running, IReadOnlyList<GenerationResponse>? generations = null,
        IReadOnlyDictionary<string, EditKindStats>? editKinds = null) =>
        new(id, status, 4, 10, 50_000, 4_600, 1, 0.35, 0.9, "agent_002", ["agent_001", "agent_002"], "function-minimization", [30, 110], 0.3,
            generations ?? Generations, DateTime.UnixEpoch, DateTime.UnixEpoch, null, null, 2,
            editKinds ?? new Dictionary<string, EditKindStats>(), new Dictionary<string, int>());
}
