using System.Globalization;

namespace Dean.IndexAgent.Evaluation;

/// <summary>What a target's commands may have besides the sandbox's defaults: rlimits, the network, environment and host paths.</summary>
/// <param name="Environment">Variables of <c>dean.json</c> <c>env</c>, set after the sandbox's own (they may override <c>PATH</c>).</param>
/// <param name="ReadOnlyPaths">Host paths of <c>dean.json</c> <c>read_only</c> (toolchains outside <c>/usr</c>), visible read-only at the same path.</param>
public sealed record CommandRules(ProcessLimits Limits, bool Network, IReadOnlyDictionary<string, string> Environment, IReadOnlyList<string> ReadOnlyPaths)
{
    public static CommandRules Default { get; } = new(ProcessLimits.Default, false, new Dictionary<string, string>(), []);
}

/// <summary>
/// The bubblewrap command line of one sandboxed command (DESIGN section 11), built without I/O. The command sees a
/// fresh root: <c>/usr</c> and <c>/etc</c> read-only (with the usual <c>/bin</c>, <c>/lib</c> links), its own
/// <c>/proc</c> of its own PID namespace, a minimal <c>/dev</c>, a private sized <c>/tmp</c>, the task's read-only paths,
/// and its worktree copy at <see cref="MountPoint"/>, the only place it can write besides <c>/tmp</c>. No other
/// agent's worktree, no service data, no home directory exist in it. Its environment is empty but for
/// <c>PATH=/usr/bin:/bin</c>, <c>HOME=/tmp</c>, <c>LANG=C.UTF-8</c> and the task's <c>env</c>; its network namespace is
/// empty unless the task allows the network. It runs as the slot's unprivileged uid: as root, bubblewrap makes the
/// namespaces and <c>setpriv</c> drops to the uid with no capabilities and no new privileges (so the kernel counts the
/// process limit per slot); as another user, a user namespace maps it.
/// </summary>
public static class Bubblewrap
{
    /// <summary>Where the command's worktree copy is, and its working directory.</summary>
    public const string MountPoint = "/worktree";

    /// <summary>The top-level entries of a usr-merged or classic root that the command needs besides <c>/usr</c>.</summary>
    public static readonly string[] RootEntries = ["bin", "lib", "lib32", "lib64", "sbin"];

    /// <summary>A top-level entry of the host's root: a symbolic link to reproduce, or a directory to bind read-only.</summary>
    public sealed record RootEntry(string Name, string? LinkTarget);

    public static IReadOnlyList<string> Arguments(string worktreeCopy, int uid, bool asRoot, CommandRules rules, IEnumerable<RootEntry> rootEntries, string command)
    {
        const long mebibyte = 1024 * 1024;
        var id = uid.ToString(CultureInfo.InvariantCulture);
        // No --die-with-parent: its parent-death signal follows the thread that started bubblewrap, and a .NET thread-pool
        // thread may end while the command runs. The runner ends the slot's processes itself (SandboxCopy.EndProcessesAsync).
        var arguments = new List<string> { "bwrap", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try" };
        if (!rules.Network) arguments.Add("--unshare-net");
        if (!asRoot) arguments.AddRange(["--unshare-user", "--uid", id, "--gid", id]);
        arguments.AddRange(["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]);
        foreach (var entry in rootEntries)
        {
            if (entry.LinkTarget is { } target) arguments.AddRange(["--symlink", target, "/" + entry.Name]);
            else arguments.AddRange(["--ro-bind", "/" + entry.Name, "/" + entry.Name]);
        }
        arguments.AddRange(["--proc", "/proc", "--dev", "/dev"]);
        arguments.AddRange(["--size", (rules.Limits.TmpMb * mebibyte).ToString(CultureInfo.InvariantCulture), "--perms", "1777", "--tmpfs", "/tmp"]);
        // The directories above a read-only path are made traversable: bubblewrap would give them the host directory's
        // mode, and a checkout under a private directory (mktemp -d, /root) would be out of the sandbox uid's reach.
        // Below the host's /usr and /etc they exist as they are; the private /tmp is a fresh tmpfs to make them in.
        string[] bound = ["/usr", "/etc", "/proc", "/dev"];
        var made = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in rules.ReadOnlyPaths)
        {
            foreach (var above in Ancestors(path).Where(a => a != "/tmp" && !bound.Any(m => a == m || a.StartsWith(m + "/", StringComparison.Ordinal))).Where(made.Add))
                arguments.AddRange(["--perms", "0755", "--dir", above]);
            arguments.AddRange(["--ro-bind-try", path, path]);
        }
        arguments.AddRange(["--bind", worktreeCopy, MountPoint, "--chdir", MountPoint]);
        arguments.AddRange(["--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8",
            "--setenv", "PYTHONDONTWRITEBYTECODE", "1"]);
        foreach (var (key, value) in rules.Environment.OrderBy(e => e.Key, StringComparer.Ordinal)) arguments.AddRange(["--setenv", key, value]);
        arguments.Add("--");
        if (asRoot) arguments.AddRange(["/usr/bin/setpriv", $"--reuid={id}", $"--regid={id}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]);
        arguments.AddRange(["/bin/sh", "-c", command]);
        return arguments;
    }

    /// <summary>The directories above <paramref name="path"/>, outermost first (<c>/a/b/c</c>: <c>/a</c>, <c>/a/b</c>).</summary>
    private static IEnumerable<string> Ancestors(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 1; i < parts.Length; i++) yield return "/" + string.Join('/', parts[..i]);
    }
}
