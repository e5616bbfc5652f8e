using System.Security.Cryptography;
using System.Text;

using Dean.IndexAgent.Operators;

namespace Dean.IndexAgent.Agents;

/// <summary>
/// The identity of a program: SHA-256 over the evolve scope's files (path and content, in path order) after a
/// proposal's changes. Two candidates with the same hash are the same program, whichever agent or edit made them.
/// </summary>
public static class ProgramHash
{
    public static string Of(IEnumerable<EvolveFile> files, IReadOnlyDictionary<string, string> changes)
    {
        var contents = files.ToDictionary(f => f.Path, f => f.Content, StringComparer.Ordinal);
        foreach (var (path, content) in changes) contents[path] = content;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (path, content) in contents.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(path));
            sha.AppendData([0]);
            sha.AppendData(Encoding.UTF8.GetBytes(content));
            sha.AppendData([0]);
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }
}
