using System.Diagnostics;

namespace Dean.Tests.IndexAgent;

/// <summary>A throw-away directory (optionally a git repository) under /tmp, removed on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"dean-ia-{Guid.NewGuid():N}");

    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Write(string relative, string content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public string Read(string relative) => File.ReadAllText(System.IO.Path.Combine(Path, relative));

    /// <summary>A copy of a task in a peer's layout from <c>Dean.Tests/PeerTasks/{name}</c> (not committed yet).</summary>
    public static TempDirectory FromPeerTask(string name)
    {
        var dir = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(System.IO.Path.Combine(AppContext.BaseDirectory, "PeerTasks", name)))
            File.Copy(file, System.IO.Path.Combine(dir.Path, System.IO.Path.GetFileName(file)));
        return dir;
    }

    /// <summary><c>git init</c> plus one commit of everything written so far.</summary>
    public TempDirectory Commit(string message = "initial")
    {
        if (!Directory.Exists(System.IO.Path.Combine(Path, ".git"))) Git("init", "-q", "-b", "main");
        Git("add", "-A");
        Git("-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "-q", "-m", message);
        return this;
    }

    public string Git(params string[] arguments) => RunGit(Path, arguments);

    public static string RunGit(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', arguments)}: {stderr}");
        return stdout.Trim();
    }

    public static string SamplesRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !Directory.Exists(System.IO.Path.Combine(dir.FullName, "samples"))) dir = dir.Parent;
            return System.IO.Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("samples/"), "samples");
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
