using System.Net;
using System.Net.Sockets;
using Dean.IndexAgent;
using Dean.IndexAgent.Evaluation;
using Dean.IndexAgent.Targets;
using Dean.ServiceDefaults.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dean.Tests.IndexAgent;

/// <summary>
/// The escape suite of DESIGN section 11: a target whose evaluator tries one attack per test, run by the IndexAgent's
/// own <see cref="EvaluationRunner"/> in the default sandbox. Every attack must fail, and the evaluation must end in a
/// verdict (scored or rejected), never an exception. Each attack prints <c>ESCAPED: ...</c> for whatever got through.
/// The timeout, daemon, file-size and memory attacks are in <see cref="ProcessRunnerTests"/>.
/// </summary>
public sealed class SandboxEscapeTests : IDisposable
{
    internal const string Attack = """
        import os, socket, subprocess, sys, json, glob
        escaped = []
        def tried(what, action):
            try:
                result = action()
                if result: escaped.append(f"{what}: {result}"[:300])
            except Exception as error:
                print(f"blocked {what}: {type(error).__name__}: {error}", file=sys.stderr)
        def read(path):
            with open(path, "rb") as f:
                return f.read(200).decode("utf-8", "replace") or "(empty, but readable)"
        def connect(host, port):
            socket.create_connection((host, port), timeout=3).close()
            return "connected"
        def write(path):
            with open(path, "w") as f: f.write("escaped")
            return "written"
        attack, args = sys.argv[1], sys.argv[2:]
        if attack == "read":
            for path in args: tried(f"read {path}", lambda: read(path))
            for environ in glob.glob("/proc/*/environ"):
                tried(f"read {environ}", lambda: "SECRET" if any(a.encode() in open(environ, "rb").read() for a in args[-1:]) else None)
            tried("own environment", lambda: ", ".join(k for k in os.environ if k not in ("PATH", "HOME", "LANG", "PWD", "SHLVL", "_", "PYTHONDONTWRITEBYTECODE")))
        elif attack == "connect":
            for target in args:
                host, port = target.rsplit(":", 1)
                tried(f"connect {target}", lambda: connect(host, int(port)))
        elif attack == "socket":
            tried("udp to 8.8.8.8:53", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53)) and "sent")
            tried("tcp to 1.1.1.1:80", lambda: connect("1.1.1.1", 80))
            tried("tcp to [2606:4700:4700::1111]:80", lambda: connect("2606:4700:4700::1111", 80))
        elif attack == "write":
            for path in args: tried(f"write {path}", lambda: write(path))
        print(json.dumps({"score": len(escaped), "passed": True, "feedback": "; ".join(escaped) or "nothing escaped"}))
        """;

    private readonly TempDirectory _worktree = new();
    private readonly TempDirectory _host = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().AddSingleton<DeanMeters>().BuildServiceProvider();

    public SandboxEscapeTests()
    {
        Assert.True(ProcessRunner.SandboxAvailable, "this machine cannot give evaluators a sandbox (bubblewrap)");
        _worktree.Write("attack.py", Attack);
    }

    public void Dispose()
    {
        _services.Dispose();
        _worktree.Dispose();
        _host.Dispose();
    }

    /// <summary>The IndexAgent's evaluation runner with its default options (the bubblewrap sandbox).</summary>
    private EvaluationRunner Runner() => new(Options.Create(new IndexAgentOptions()), new IndexAgentMetrics(_services.GetRequiredService<DeanMeters>()));

    private async Task<(EvaluationVerdict Verdict, string Output)> RunAsync(string arguments)
    {
        var task = TaskFile.Parse($$"""{"name": "escape", "evolve": ["attack.py"], "evaluate": "python3 attack.py {{arguments}}", "timeoutSeconds": 30}""", out var errors)
                   ?? throw new InvalidOperationException(string.Join("; ", errors.SelectMany(e => e.Value)));
        var verdict = await Runner().EvaluateAsync(_worktree.Path, task, CancellationToken.None);
        return (verdict, $"{verdict.Result}: {verdict.Feedback ?? verdict.Reason}");
    }

    private static void NothingEscaped((EvaluationVerdict Verdict, string Output) run)
    {
        Assert.True(run.Verdict.Passed, run.Output);
        Assert.True(run.Verdict.Score == 0, run.Output);
    }

    [Fact]
    public async Task It_cannot_read_the_signing_key_another_agents_worktree_or_the_data_directory()
    {
        // World-readable on the host, as files of a root service often are: only the sandbox's view keeps them out.
        var secret = $"SECRET{Guid.NewGuid():N}";
        var key = _host.Write(".dean/data/keys/signing.key", secret);
        var other = _host.Write("worktrees/agent_002/program.py", secret);
        var service = Path.Combine(_host.Path, ".dean/data");
        NothingEscaped(await RunAsync($"read {key} {other} {service}/keys /proc/1/environ /root/.nuget/NuGet/NuGet.Config {secret}"));
    }

    [Fact]
    public async Task It_cannot_connect_to_postgresql_redis_or_a_service_on_this_machine()
    {
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var addresses = (await Dns.GetHostAddressesAsync(Dns.GetHostName())).Where(a => a.AddressFamily == AddressFamily.InterNetwork).Select(a => a.ToString()).Append("127.0.0.1").Distinct();
        // The known ports (PostgreSQL, Redis, the DEAN services) and one that surely listens: this test's own.
        var targets = addresses.SelectMany(a => new[] { 5432, 6379, 8081, 8082, 8091, port }.Select(p => $"{a}:{p}"));
        NothingEscaped(await RunAsync($"connect {string.Join(' ', targets)}"));
    }

    [Fact]
    // Its network namespace has only its own loopback, which leads nowhere but to itself.
    public async Task It_cannot_reach_any_network() => NothingEscaped(await RunAsync("socket"));

    [Fact]
    public async Task It_cannot_write_outside_its_worktree_copy_and_its_copy_is_thrown_away()
    {
        var mark = Guid.NewGuid().ToString("N");
        string[] outside = [Path.Combine(_worktree.Path, $"planted-{mark}"), Path.Combine(_host.Path, $"planted-{mark}"), $"/usr/planted-{mark}", $"/etc/planted-{mark}",
            $"/planted-{mark}", $"/var/tmp/planted-{mark}"];
        NothingEscaped(await RunAsync($"write {string.Join(' ', outside)}"));
        foreach (var path in outside) Assert.False(File.Exists(path), path);

        // What it may write (its copy, its private /tmp) reaches neither the worktree nor the host's /tmp.
        var inside = await RunAsync($"write attack.py planted-{mark} /tmp/planted-{mark}");
        Assert.True(inside.Verdict.Score == 3, inside.Output);
        Assert.Equal(Attack, _worktree.Read("attack.py"));
        Assert.False(File.Exists(Path.Combine(_worktree.Path, $"planted-{mark}")));
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), $"planted-{mark}")));
    }

    [Fact]
    public async Task A_fork_bomb_is_held_to_its_process_limit_and_dies_at_the_timeout()
    {
        var bomb = $"bomb-{Guid.NewGuid():N}.sh";
        _worktree.Write(bomb, "bomb() { bomb | bomb & }; bomb; sleep 600\n");
        var task = TaskFile.Parse($$$"""{"name": "bomb", "evolve": ["{{{bomb}}}"], "evaluate": "sh {{{bomb}}}", "timeoutSeconds": 3, "limits": {"processes": 64}}""", out _)!;
        var verdict = await Runner().EvaluateAsync(_worktree.Path, task, CancellationToken.None);
        Assert.Equal(EvaluationResult.Timeout, verdict.Result);
        // Nothing of it outlives the evaluation.
        Assert.True(await ProcessRunnerTests.GoneAsync(bomb), $"a process of {bomb} outlived its evaluation");
        // And the machine still runs commands.
        NothingEscaped(await RunAsync("socket"));
    }

    [Fact]
    public async Task It_cannot_fill_the_disk_past_its_private_tmp()
    {
        _worktree.Write("fill.sh", "head -c 6000000 /dev/zero > /tmp/a; head -c 6000000 /dev/zero > /tmp/b; echo total=$(cat /tmp/a /tmp/b | wc -c)\n");
        var outcome = await ProcessRunner.RunAsync(_worktree.Path, "sh fill.sh", TimeSpan.FromSeconds(20), 4096, CancellationToken.None,
            CommandRules.Default with { Limits = ProcessLimits.Default with { TmpMb = 8 } });
        Assert.Contains("No space left on device", outcome.Stderr);
        var total = long.Parse(System.Text.RegularExpressions.Regex.Match(outcome.Stdout, @"total=(\d+)").Groups[1].Value);
        Assert.InRange(total, 6_000_000, 8L * 1024 * 1024);
    }

    [Fact]
    public async Task A_copy_a_crashed_run_left_behind_goes_when_its_uid_is_used_again()
    {
        // What a crash mid-evaluation leaves: a copy under a uid, which the next command of that uid removes.
        int uid;
        string leftover;
        using (var crashed = await SandboxCopy.CreateAsync(_worktree.Path))
        {
            (uid, leftover) = (crashed.Uid, crashed.Directory + "-crashed");
            Directory.CreateDirectory(leftover);
        }
        // Uids are leased lowest first, and other tests lease at the same time: hold copies until one has that uid (or
        // another command took it, which removes the leftover as well).
        var held = new List<SandboxCopy>();
        try
        {
            while (held.Count == 0 || held[^1].Uid < uid) held.Add(await SandboxCopy.CreateAsync(_worktree.Path));
        }
        finally
        {
            held.ForEach(c => c.Dispose());
        }
        Assert.False(Directory.Exists(leftover), leftover);
    }
}

/// <summary>The sandbox's command line, without running it.</summary>
public sealed class BubblewrapArgumentsTests
{
    private static readonly Bubblewrap.RootEntry[] UsrMerged = [new("bin", "usr/bin"), new("lib", "usr/lib")];

    [Fact]
    public void As_root_it_drops_to_the_slot_uid_with_no_capabilities_and_no_network_by_default()
    {
        var arguments = Bubblewrap.Arguments("/tmp/copy", 61003, asRoot: true, CommandRules.Default, UsrMerged, "python3 evaluate.py");
        Assert.Equal("bwrap", arguments[0]);
        Assert.Contains("--unshare-net", arguments);
        Assert.Contains("--clearenv", arguments);
        Assert.DoesNotContain("--unshare-user", arguments);
        Assert.Equal(["--reuid=61003", "--regid=61003", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "/bin/sh", "-c", "python3 evaluate.py"],
            arguments.SkipWhile(a => a != "/usr/bin/setpriv").Skip(1));
        Assert.Equal(["--bind", "/tmp/copy", Bubblewrap.MountPoint], arguments.SkipWhile(a => a != "--bind").Take(3));
        Assert.Equal(["--symlink", "usr/bin", "/bin"], arguments.SkipWhile(a => a != "--symlink").Take(3));
    }

    [Fact]
    public void Task_paths_are_read_only_below_traversable_parents_and_task_variables_follow_the_sandboxs_own()
    {
        var rules = new CommandRules(ProcessLimits.Default with { TmpMb = 64 }, true, new Dictionary<string, string> { ["PATH"] = "/opt/x/bin:/usr/bin" },
            ["/root/.nuget/packages", "/usr/local/lib/x", "/tmp/checkout/bin/Peers"]);
        var arguments = Bubblewrap.Arguments("/tmp/copy", 61000, asRoot: false, rules, [], "true");
        Assert.DoesNotContain("--unshare-net", arguments);
        Assert.Equal(["--unshare-user", "--uid", "61000", "--gid", "61000"], arguments.SkipWhile(a => a != "--unshare-user").Take(5));
        Assert.DoesNotContain("/usr/bin/setpriv", arguments);
        Assert.Equal(["--size", (64L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), "--perms", "1777", "--tmpfs", "/tmp"], arguments.SkipWhile(a => a != "--size").Take(6));
        var text = string.Join(' ', arguments);
        Assert.Contains("--perms 0755 --dir /root --perms 0755 --dir /root/.nuget --ro-bind-try /root/.nuget/packages /root/.nuget/packages", text);
        // Below /usr (already bound read-only) nothing is created.
        Assert.Contains("--ro-bind-try /usr/local/lib/x /usr/local/lib/x", text);
        Assert.DoesNotContain("--dir /usr", text);
        // Below the private /tmp (a tmpfs) the parents are made, as they are not there.
        Assert.Contains("--perms 0755 --dir /tmp/checkout --perms 0755 --dir /tmp/checkout/bin --ro-bind-try /tmp/checkout/bin/Peers /tmp/checkout/bin/Peers", text);
        Assert.DoesNotContain("--dir /tmp ", text);
        Assert.True(text.IndexOf("--setenv PATH /opt/x/bin:/usr/bin", StringComparison.Ordinal) > text.IndexOf("--setenv PATH /usr/bin:/bin", StringComparison.Ordinal));
    }
}
