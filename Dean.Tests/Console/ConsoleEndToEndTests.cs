using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using Dean.Orchestrator.OperatorConsole;
using Dean.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dean.Tests.OperatorConsole;

/// <summary>
/// The console on the running AppHost: its port split and cookie over plain HTTP, and the pages in Debian's chromium
/// driven by Playwright (never a downloaded browser).
/// </summary>
[Collection(DeanAppCollection.Name)]
public sealed partial class ConsoleEndToEndTests(DeanAppFixture fx)
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan CycleTimeout = TimeSpan.FromMinutes(4);

    private Uri Console => fx.App.GetEndpoint("orchestrator", "console");
    private Uri Api => fx.App.GetEndpoint("orchestrator", "http");

    private static HttpClient Plain(Uri baseAddress, CookieContainer? cookies = null) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies ?? new CookieContainer() }) { BaseAddress = baseAddress };

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>Signs in through the sign-in form as a browser would: the form's antiforgery token, then the post.</summary>
    private static async Task<HttpResponseMessage> SignInAsync(HttpClient console, string username, string password, bool withAntiforgery = true)
    {
        var form = await console.GetStringAsync("/console/sign-in");
        var fields = new Dictionary<string, string> { ["_handler"] = "sign-in", ["Credentials.Username"] = username, ["Credentials.Password"] = password };
        if (withAntiforgery) fields["__RequestVerificationToken"] = AntiforgeryField().Match(form).Groups[1].Value;
        return await console.PostAsync("/console/sign-in", new FormUrlEncodedContent(fields));
    }

    private async Task<(string Username, string Password)> UserAsync(string role)
    {
        var (username, password) = ($"console-{role}", $"console-{role}-{Guid.NewGuid():N}");
        var admin = await fx.ClientAsync("orchestrator", "admin");
        var created = await admin.PostAsJsonAsync("/api/v1/auth/users", new { username, password, role });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (username, password);
    }

    [Fact]
    public async Task The_console_port_serves_only_the_console_and_the_api_port_never_the_console()
    {
        using var console = Plain(Console);
        using var api = Plain(Api);
        var root = await console.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/console/cycles", root.Headers.Location?.OriginalString);
        var cycles = await console.GetAsync("/console/cycles");
        Assert.Equal(HttpStatusCode.Redirect, cycles.StatusCode);
        Assert.StartsWith(ConsoleAuthentication.SignInPath, cycles.Headers.Location!.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, (await console.GetAsync("/health")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await console.GetAsync("/api/v1/evolution/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await console.GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/console/sign-in")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/_framework/blazor.web.js")).StatusCode);
    }

    [Fact]
    public async Task Signing_in_sets_a_strict_http_only_cookie_that_the_api_refuses()
    {
        var (username, password) = await UserAsync("operator");
        var cookies = new CookieContainer();
        using var console = Plain(Console, cookies);

        var wrong = await SignInAsync(console, username, "not-the-password");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("Unknown user or wrong password.", await wrong.Content.ReadAsStringAsync());
        // Without the form's antiforgery token the post is refused before any password is checked.
        Assert.Equal(HttpStatusCode.BadRequest, (await SignInAsync(console, username, password, withAntiforgery: false)).StatusCode);

        var signedIn = await SignInAsync(console, username, password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var setCookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ConsoleAuthentication.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        var page = await console.GetAsync("/console/cycles");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Evolution cycles", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await console.GetAsync("/console/cycles/cycle_does_not_exist/patch")).StatusCode);

        // Cookies ignore ports: the browser would send this one to 8082 too, and the API must not take it.
        var session = cookies.GetCookies(Console).Single(c => c.Name == ConsoleAuthentication.CookieName);
        using var api = Plain(Api);
        using var start = new HttpRequestMessage(HttpMethod.Post, "/api/v1/evolution/start")
        {
            Content = JsonContent.Create(new { target = "function-minimization", population_size = 3, generations = 1, token_budget = 1000 }),
        };
        start.Headers.Add("Cookie", $"{session.Name}={session.Value}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.SendAsync(start)).StatusCode);
    }

    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright) => await playwright.Chromium.LaunchAsync(new()
    {
        ExecutablePath = Chromium,
        Headless = true,
        // As root, and on a machine whose network is closed: no sandbox, and none of chromium's own calls home.
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });

    private async Task<IPage> SignedInPageAsync(IBrowser browser, string username, string password, List<string> requested)
    {
        var context = await browser.NewContextAsync(new() { BaseURL = Console.ToString(), AcceptDownloads = true });
        var page = await context.NewPageAsync();
        page.Request += (_, request) => requested.Add(request.Url);
        await page.GotoAsync("/console/cycles");
        await page.FillAsync("#username", username);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync("**/console/cycles");
        await Assertions.Expect(page.Locator("[data-live=true]")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        return page;
    }

    [Fact]
    public async Task An_admin_starts_a_cycle_watches_it_to_the_end_and_downloads_its_patch()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var requested = new List<string>();
        var page = await SignedInPageAsync(browser, "admin", fx.AdminPassword, requested);

        // The Economy's own constraint comes back inline, next to its input.
        await page.Locator("#start-target input").FillAsync("function-minimization");
        await page.Locator("#start-population-size input").FillAsync("3");
        await page.Locator("#start-generations input").FillAsync("100000");
        await page.Locator("#start-token-budget input").FillAsync("30000");
        await page.Keyboard.PressAsync("Tab");
        await page.ClickAsync("#start-cycle");
        await Assertions.Expect(page.Locator("[data-error=generations]")).ToContainTextAsync("max_generations");

        await page.Locator("#start-generations input").FillAsync("2");
        await page.Keyboard.PressAsync("Tab");
        await page.ClickAsync("#start-cycle");
        await page.WaitForURLAsync(new Regex("/console/cycles/cycle_[0-9]+$"));

        var generation = page.Locator("[data-field=generation]");
        await Assertions.Expect(generation).ToHaveTextAsync(new Regex("^[0-2] / 2$"));
        await Assertions.Expect(page.Locator("[data-summary=cycle] [data-status]"))
            .ToHaveAttributeAsync("data-status", "completed", new() { Timeout = (float)CycleTimeout.TotalMilliseconds });
        await Assertions.Expect(generation).ToHaveTextAsync("2 / 2");
        Assert.Equal(2, await page.Locator("[data-chart=scores] circle.series-best-so-far").CountAsync());
        Assert.Equal(2, await page.Locator("[data-chart=tokens] circle").CountAsync());
        Assert.Equal(1, await page.Locator("[data-chart=diversity] line.threshold").CountAsync());
        await Assertions.Expect(page.Locator("[data-live=false]")).ToBeAttachedAsync();

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-patch"));
        var patch = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.StartsWith("From ", patch);
        Assert.Contains("Subject: [PATCH] DEAN: best program of cycle", patch);

        // Everything the pages loaded came from the console itself: no CDN.
        Assert.NotEmpty(requested);
        Assert.All(requested, url => Assert.StartsWith(Console.GetLeftPart(UriPartial.Authority), url));
    }

    [Fact]
    public async Task A_viewer_sees_the_cycles_but_no_start_form()
    {
        var (username, password) = await UserAsync("viewer");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await SignedInPageAsync(browser, username, password, []);
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Evolution cycles");
        Assert.Equal(0, await page.Locator("#start-cycle").CountAsync());
        Assert.Equal(0, await page.Locator("[data-form=start-cycle]").CountAsync());
        await Assertions.Expect(page.Locator(".console-user")).ToContainTextAsync("(viewer)");

        // The economy page shows the Economy's own figures: the global budget is the one the API reports.
        var api = await fx.ClientAsync("orchestrator", "viewer");
        var metrics = await api.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/metrics/tokens");
        await page.ClickAsync("nav >> text=Economy");
        await page.WaitForURLAsync("**/console/economy");
        await Assertions.Expect(page.Locator("[data-field=global]")).ToHaveTextAsync(ConsoleFormat.Tokens(metrics.GetProperty("total_budget").GetInt64()));
    }
}
