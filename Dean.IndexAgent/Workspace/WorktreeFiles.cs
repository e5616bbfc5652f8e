using System.Text;

namespace Dean.IndexAgent.Workspace;

/// <summary>
/// Reads and writes evolvable files of a worktree, remembering the exact original bytes so that a rejected candidate
/// restores the file byte for byte (BOM and all).
/// </summary>
public sealed class WorktreeEdit(string worktree)
{
    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];
    private readonly Dictionary<string, byte[]?> _originals = [];

    public IReadOnlyCollection<string> Paths => _originals.Keys;

    public static string Read(string worktree, string path)
    {
        var bytes = File.ReadAllBytes(Full(worktree, path));
        return HasBom(bytes) ? Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3) : Encoding.UTF8.GetString(bytes);
    }

    public void Write(string path, string content)
    {
        var full = Full(worktree, path);
        var original = File.Exists(full) ? File.ReadAllBytes(full) : null;
        _originals.TryAdd(path, original);
        var bytes = Encoding.UTF8.GetBytes(content);
        if (original is not null && HasBom(original)) bytes = [.. Bom, .. bytes];
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
    }

    public void Restore()
    {
        foreach (var (path, original) in _originals)
        {
            var full = Full(worktree, path);
            if (original is null) File.Delete(full);
            else File.WriteAllBytes(full, original);
        }
    }

    private static bool HasBom(byte[] bytes) => bytes.AsSpan().StartsWith(Bom);

    private static string Full(string worktree, string path)
    {
        var full = Path.GetFullPath(Path.Combine(worktree, path));
        if (!full.StartsWith(Path.GetFullPath(worktree) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidOperationException($"{path} is outside the worktree");
        return full;
    }
}
