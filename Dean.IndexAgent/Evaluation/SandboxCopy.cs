using System.Runtime.InteropServices;

namespace Dean.IndexAgent.Evaluation;

/// <summary>
/// One sandboxed command's place: an unprivileged uid of its own and a fresh copy of the worktree (without
/// <c>.git</c>) owned by that uid. Nothing the command writes reaches the worktree: a candidate that rewrites its
/// evaluator or leaves files behind changes only a copy that is deleted when the command ends, and the next
/// evaluation starts from the commit again. Concurrent commands never share a uid, so per-uid limits (processes)
/// bind per command.
/// </summary>
public sealed partial class SandboxCopy : IDisposable
{
    /// <summary>The first sandbox uid; slot n runs as <c>FirstUid + n</c>. No account needs to exist for it.</summary>
    public const int FirstUid = 61_000;

    /// <summary>Sandboxed commands at once on one machine, at most.</summary>
    public const int MaxSlots = 1000;

    /// <summary>Where the copies and the uid leases live (one lock file per uid, held for the command's life).</summary>
    private static readonly string Root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dean-sandbox");

    private readonly FileStream _lease;

    private SandboxCopy(int uid, FileStream lease, string directory)
    {
        Uid = uid;
        _lease = lease;
        Directory = directory;
    }

    public int Uid { get; }

    /// <summary>The copy on the host (bound at <see cref="Bubblewrap.MountPoint"/> in the sandbox).</summary>
    public string Directory { get; }

    /// <summary>Whether this service runs as root (then it can hand the copy to the sandbox uid and drop to it).</summary>
    public static bool AsRoot { get; } = GetEuid() == 0;

    public static async Task<SandboxCopy> CreateAsync(string worktree)
    {
        // The lowest uid no command of any process on this machine holds (an IndexAgent and a test run may share it).
        System.IO.Directory.CreateDirectory(Root);
        var uid = FirstUid;
        FileStream? lease = null;
        for (; lease is null && uid < FirstUid + MaxSlots; uid++)
        {
            try
            {
                lease = new FileStream(System.IO.Path.Combine(Root, $"uid-{uid}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                // Held by a running command.
            }
        }
        if (lease is null) throw new IOException($"no free sandbox uid in {FirstUid}..{FirstUid + MaxSlots - 1}");
        var copy = new SandboxCopy(uid - 1, lease, System.IO.Path.Combine(Root, $"{uid - 1}-{Guid.NewGuid():N}"));
        try
        {
            // Whatever a crashed predecessor left under this uid, running or on disk, goes first.
            await copy.EndProcessesAsync();
            foreach (var leftover in System.IO.Directory.EnumerateDirectories(Root, $"{copy.Uid}-*")) System.IO.Directory.Delete(leftover, recursive: true);
            copy.CopyFrom(worktree);
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    private void CopyFrom(string worktree)
    {
        var root = new DirectoryInfo(worktree);
        System.IO.Directory.CreateDirectory(Directory);
        Own(Directory);
        var pending = new Stack<(DirectoryInfo From, string To)>();
        pending.Push((root, Directory));
        while (pending.Count > 0)
        {
            var (from, to) = pending.Pop();
            foreach (var entry in from.EnumerateFileSystemInfos())
            {
                if (entry.Name == ".git") continue;
                var destination = System.IO.Path.Combine(to, entry.Name);
                if (entry.LinkTarget is { } link) File.CreateSymbolicLink(destination, link);
                else if (entry is DirectoryInfo directory)
                {
                    System.IO.Directory.CreateDirectory(destination);
                    pending.Push((directory, destination));
                }
                else File.Copy(entry.FullName, destination); // keeps the mode (an executable evaluate.sh stays one)
                Own(destination);
            }
        }
    }

    /// <summary>
    /// Ends every process of the slot's uid. Dropping to the uid clears any parent-death signal, and a daemon may have
    /// left the command's process group, but no process of the uid may outlive its command: <c>kill -KILL -1</c> as the
    /// uid reaches all of them (the uid is this command's alone), repeated while a fork races it. In a user namespace
    /// (not root) the uid is the service's own, and the PID namespace's end is what ends them.
    /// </summary>
    public async Task EndProcessesAsync()
    {
        if (!AsRoot) return;
        for (var round = 0; round < 20 && HasProcesses(); round++)
        {
            var kill = new System.Diagnostics.ProcessStartInfo("/usr/bin/setpriv") { UseShellExecute = false, RedirectStandardError = true };
            foreach (var argument in new[] { $"--reuid={Uid}", $"--regid={Uid}", "--clear-groups", "/bin/kill", "-KILL", "-1" }) kill.ArgumentList.Add(argument);
            using var process = System.Diagnostics.Process.Start(kill)!;
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>Whether a process of this slot's uid still runs on the host (zombies aside).</summary>
    private bool HasProcesses()
    {
        foreach (var directory in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var status = File.ReadLines(System.IO.Path.Combine(directory, "status")).ToList();
                if (status.Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains("zombie", StringComparison.Ordinal))) continue;
                var uid = status.FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries);
                if (uid is { Length: > 1 } && uid[1] == Uid.ToString(System.Globalization.CultureInfo.InvariantCulture)) return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while being read.
            }
        }
        return false;
    }

    private void Own(string path)
    {
        if (AsRoot && LChown(path, Uid, Uid) != 0)
            throw new IOException($"cannot hand {path} to the sandbox uid {Uid}: errno {Marshal.GetLastPInvokeError()}");
    }

    public void Dispose()
    {
        try
        {
            if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A copy that cannot be removed now is left in the temp directory; it holds nothing of the service.
        }
        _lease.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LChown(string path, int owner, int group);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial int GetEuid();
}
