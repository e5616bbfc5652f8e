using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Dean.IndexAgent.Evaluation;

/// <summary>How commands are isolated: <see cref="Bubblewrap"/> (the default) or, for development only, <see cref="None"/>.</summary>
public enum SandboxMode
{
    /// <summary>The sandbox of DESIGN section 11 (<see cref="Evaluation.Bubblewrap"/>); refused where it cannot be made.</summary>
    Bubblewrap,

    /// <summary>No isolation at all (<c>IndexAgent:Sandbox=none</c>): the command runs as the IndexAgent's user with its view.</summary>
    None,
}

/// <summary>What happened to one sandboxed command.</summary>
public sealed record ProcessOutcome(int? ExitCode, bool TimedOut, TimeSpan Timeout, TimeSpan Duration, string Stdout, string Stderr, bool Truncated, string? StartError);

/// <summary>
/// Runs a shell command as a separate process in its own session (<c>setsid</c>) under its rlimits (<c>prlimit</c>),
/// so that a timeout, a cancellation or the command's own end can kill its whole process tree with one signal to the
/// group; keeps only the tail of its output (the verdict is the last line). Under <see cref="SandboxMode.Bubblewrap"/>
/// (refused where the machine cannot give it, <see cref="SandboxAvailable"/>) the command runs in a fresh copy of the
/// worktree inside <see cref="Evaluation.Bubblewrap"/>'s sandbox as its slot's uid (<see cref="SandboxCopy"/>): when
/// it ends or is killed the kernel ends everything in its PID namespace, a <c>setsid</c> daemon included.
/// </summary>
public static partial class ProcessRunner
{
    private const int SigKill = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <param name="rules">The command's limits, network, environment and read-only paths; <see cref="CommandRules.Default"/> when null.</param>
    /// <param name="sandbox">The isolation; a command is not started when <see cref="SandboxMode.Bubblewrap"/> cannot be had.</param>
    public static async Task<ProcessOutcome> RunAsync(string workingDirectory, string command, TimeSpan timeout, int outputCap, CancellationToken cancellationToken,
        CommandRules? rules = null, SandboxMode sandbox = SandboxMode.Bubblewrap)
    {
        if (Refusal(sandbox, SandboxAvailable) is { } refused) return new ProcessOutcome(null, false, timeout, TimeSpan.Zero, "", "", false, refused);
        rules ??= CommandRules.Default;
        var stopwatch = Stopwatch.StartNew();
        using var copy = sandbox == SandboxMode.Bubblewrap ? await SandboxCopy.CreateAsync(workingDirectory) : null;
        var start = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = copy?.Directory ?? workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        IEnumerable<string> sandboxed = copy is null
            ? ["/bin/sh", "-c", command]
            : Bubblewrap.Arguments(copy.Directory, copy.Uid, SandboxCopy.AsRoot, rules, RootEntries.Value, command);
        foreach (var argument in rules.Limits.PrlimitArguments().Concat(sandboxed)) start.ArgumentList.Add(argument);
        if (copy is null)
        {
            // Unisolated (development only): at least the service's secrets, telemetry and hosting settings stay out.
            string[] withheld = ["ConnectionStrings__", "Auth__", "OTEL_", "ASPNETCORE_", "services__", "DOTNET_STARTUP_HOOKS", "DOTNET_LAUNCH_PROFILE", "DEAN_", "Parameters__"];
            foreach (var key in start.Environment.Keys.Where(k => withheld.Any(w => k.StartsWith(w, StringComparison.OrdinalIgnoreCase))).ToList())
                start.Environment.Remove(key);
            start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
            foreach (var (key, value) in rules.Environment) start.Environment[key] = value;
        }

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
        if (copy is not null) await copy.EndProcessesAsync();
        // A descendant that escaped the group may still hold the pipes open: don't wait for it.
        await Task.WhenAny(readers, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
        stopwatch.Stop();
        cancellationToken.ThrowIfCancellationRequested();
        return new ProcessOutcome(timedOut ? null : process.ExitCode, timedOut, timeout, stopwatch.Elapsed,
            stdout.Text(), stderr.Text(), stdout.Truncated || stderr.Truncated, null);
    }

    /// <summary>Why a command may not start under <paramref name="sandbox"/>, or null when it may.</summary>
    public static string? Refusal(SandboxMode sandbox, bool sandboxAvailable) =>
        sandbox == SandboxMode.Bubblewrap && !sandboxAvailable
            ? "no sandbox: bubblewrap (bwrap) is missing or cannot create namespaces on this machine (install it with ops/prerequisites.sh); " +
              "IndexAgent:Sandbox=none runs evaluators without isolation, for development only"
            : null;

    /// <summary>Whether the sandbox can be made here: probed once, by running <c>true</c> in it.</summary>
    public static bool SandboxAvailable => SandboxProbe.Value;

    private static readonly Lazy<IReadOnlyList<Bubblewrap.RootEntry>> RootEntries = new(() =>
        Bubblewrap.RootEntries.Select(name => new FileInfo("/" + name)).Where(e => e.Exists || Directory.Exists(e.FullName) || e.LinkTarget is not null)
            .Select(e => new Bubblewrap.RootEntry(e.Name, e.LinkTarget)).ToList());

    private static readonly Lazy<bool> SandboxProbe = new(() =>
    {
        try
        {
            var empty = Directory.CreateTempSubdirectory("dean-sandbox-probe-");
            using var copy = SandboxCopy.CreateAsync(empty.FullName).GetAwaiter().GetResult();
            empty.Delete();
            var probe = new ProcessStartInfo("bwrap") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in Bubblewrap.Arguments(copy.Directory, copy.Uid, SandboxCopy.AsRoot, CommandRules.Default, RootEntries.Value, "true").Skip(1))
                probe.ArgumentList.Add(argument);
            using var process = Process.Start(probe)!;
            return process.WaitForExit(TimeSpan.FromSeconds(10)) && process.ExitCode == 0;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or IOException)
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
