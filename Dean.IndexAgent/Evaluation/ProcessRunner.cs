using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Dean.IndexAgent.Evaluation;

/// <summary>How commands are isolated: <see cref="Namespaces"/> (the default) or, for development only, <see cref="None"/>.</summary>
public enum SandboxMode
{
    /// <summary>Own PID namespace and <c>/proc</c>, no network unless the task allows it; refused where it cannot be made.</summary>
    Namespaces,

    /// <summary>No isolation at all (<c>IndexAgent:Sandbox=none</c>): the command runs as the IndexAgent's user with its view.</summary>
    None,
}

/// <summary>What happened to one sandboxed command.</summary>
public sealed record ProcessOutcome(int? ExitCode, bool TimedOut, TimeSpan Timeout, TimeSpan Duration, string Stdout, string Stderr, bool Truncated, string? StartError);

/// <summary>
/// Runs a shell command as a separate process in its own session (<c>setsid</c>), so that a timeout, a cancellation
/// or the command's own end can kill its whole process tree with one signal to the group; keeps only the tail of
/// its output (the verdict is the last line). Under <see cref="SandboxMode.Namespaces"/> (refused where the machine
/// cannot give them, <see cref="InPidNamespace"/>), the shell is the init of its own PID namespace with its own
/// <c>/proc</c> (util-linux <c>unshare</c>): when it ends or is killed the kernel ends everything in the namespace, a
/// <c>setsid</c> daemon included, and the command sees no other process (nor the IndexAgent's environment through
/// <c>/proc/$PPID/environ</c>); unless its task allows the network, it also gets an empty network namespace, so it
/// reaches no database, no service and no other host.
/// </summary>
public static partial class ProcessRunner
{
    private const int SigKill = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <param name="limits">The command's rlimits; <see cref="ProcessLimits.Default"/> when null.</param>
    /// <param name="network">Whether the command keeps the host's network; otherwise (with namespaces) it has none, not even loopback.</param>
    /// <param name="sandbox">The isolation; a command is not started when <see cref="SandboxMode.Namespaces"/> cannot be had.</param>
    public static async Task<ProcessOutcome> RunAsync(string workingDirectory, string command, TimeSpan timeout, int outputCap, CancellationToken cancellationToken,
        ProcessLimits? limits = null, bool network = false, SandboxMode sandbox = SandboxMode.Namespaces)
    {
        if (Refusal(sandbox, InPidNamespace) is { } refused) return new ProcessOutcome(null, false, timeout, TimeSpan.Zero, "", "", false, refused);
        var start = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (limits ?? ProcessLimits.Default).PrlimitArguments()) start.ArgumentList.Add(argument);
        if (sandbox == SandboxMode.Namespaces)
        {
            foreach (var argument in PidNamespacePrefix) start.ArgumentList.Add(argument);
            if (!network) start.ArgumentList.Add("--net");
        }
        start.ArgumentList.Add("/bin/sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        // The evaluator must not inherit the service's secrets or talk to its telemetry collector.
        // Nor the service's own hosting settings (URLs, startup hooks), which would leak into a .NET evaluator.
        string[] withheld = ["ConnectionStrings__", "Auth__", "OTEL_", "ASPNETCORE_", "services__", "DOTNET_STARTUP_HOOKS", "DOTNET_LAUNCH_PROFILE", "DEAN_", "Parameters__"];
        foreach (var key in start.Environment.Keys.Where(k => withheld.Any(w => k.StartsWith(w, StringComparison.OrdinalIgnoreCase))).ToList())
            start.Environment.Remove(key);
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            return new ProcessOutcome(null, false, timeout, stopwatch.Elapsed, "", "", false, ex.Message);
        }
        process.StandardInput.Close();
        var stdout = new TailBuffer(outputCap);
        var stderr = new TailBuffer(outputCap);
        var readers = Task.WhenAll(stdout.DrainAsync(process.StandardOutput.BaseStream), stderr.DrainAsync(process.StandardError.BaseStream));

        var timedOut = false;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = !cancellationToken.IsCancellationRequested;
            }
        }
        // Whatever the command left running (background children, grandchildren) goes with it.
        KillGroup(process);
        if (!process.HasExited)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None);
        }
        // A descendant that escaped the group may still hold the pipes open: don't wait for it.
        await Task.WhenAny(readers, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
        stopwatch.Stop();
        cancellationToken.ThrowIfCancellationRequested();
        return new ProcessOutcome(timedOut ? null : process.ExitCode, timedOut, timeout, stopwatch.Elapsed,
            stdout.Text(), stderr.Text(), stdout.Truncated || stderr.Truncated, null);
    }

    // --kill-child: if unshare itself is killed, the kernel kills the namespace's init, and with it the namespace.
    private static readonly string[] PidNamespacePrefix = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"];

    /// <summary>Why a command may not start under <paramref name="sandbox"/>, or null when it may.</summary>
    public static string? Refusal(SandboxMode sandbox, bool namespacesAvailable) =>
        sandbox == SandboxMode.Namespaces && !namespacesAvailable
            ? "no sandbox: this machine cannot create PID and network namespaces (util-linux unshare, as root); " +
              "IndexAgent:Sandbox=none runs evaluators without isolation, for development only"
            : null;

    /// <summary>Whether commands can run in their own PID namespace: probed once (it needs unshare and the right to create namespaces).</summary>
    public static bool InPidNamespace => PidNamespaceProbe.Value;

    private static readonly Lazy<bool> PidNamespaceProbe = new(() =>
    {
        try
        {
            var probe = new ProcessStartInfo(PidNamespacePrefix[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in PidNamespacePrefix.Skip(1).Append("--net").Append("/bin/true")) probe.ArgumentList.Add(argument);
            using var process = Process.Start(probe)!;
            return process.WaitForExit(TimeSpan.FromSeconds(10)) && process.ExitCode == 0;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            return false;
        }
    });

    private static void KillGroup(Process process)
    {
        // setsid made the shell a session and group leader, so its pid is the group id.
        if (Kill(-process.Id, SigKill) != 0 && Marshal.GetLastPInvokeError() != 3 /* ESRCH: nothing left */)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
    }

    /// <summary>Keeps the last <c>cap</c> bytes of a stream.</summary>
    private sealed class TailBuffer(int cap)
    {
        private readonly Lock _gate = new();
        private byte[] _data = new byte[Math.Min(cap, 8192)];
        private int _length;
        public bool Truncated { get; private set; }

        public async Task DrainAsync(Stream stream)
        {
            var buffer = new byte[8192];
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer)) > 0) Append(buffer.AsSpan(0, read));
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
            }
        }

        private void Append(ReadOnlySpan<byte> chunk)
        {
            lock (_gate)
            {
                if (chunk.Length >= cap)
                {
                    Truncated |= _length > 0 || chunk.Length > cap;
                    _data = chunk[^cap..].ToArray();
                    _length = cap;
                    return;
                }
                if (_length + chunk.Length > cap)
                {
                    var drop = _length + chunk.Length - cap;
                    Buffer.BlockCopy(_data, drop, _data, 0, _length - drop);
                    _length -= drop;
                    Truncated = true;
                }
                if (_data.Length < _length + chunk.Length) Array.Resize(ref _data, Math.Min(cap, Math.Max(_data.Length * 2, _length + chunk.Length)));
                chunk.CopyTo(_data.AsSpan(_length));
                _length += chunk.Length;
            }
        }

        public string Text()
        {
            lock (_gate) return Encoding.UTF8.GetString(_data, 0, _length);
        }
    }
}
