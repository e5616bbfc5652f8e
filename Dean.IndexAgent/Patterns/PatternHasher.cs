using System.Security.Cryptography;
using System.Text;

namespace Dean.IndexAgent.Patterns;

/// <summary>The stable identity of a pattern: lowercase hex SHA-256 of the UTF-8 canonical text of its normalised diff.</summary>
public static class PatternHasher
{
    public static string Hash(NormalizedDiff diff) => Hash(diff.Text);

    public static string Hash(string normalizedText) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalizedText.ReplaceLineEndings("\n"))));
}
