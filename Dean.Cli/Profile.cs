using System.Text.Json;
using Dean.Contracts;

namespace Dean.Cli;

/// <summary>What <c>dean login</c> saved: the services' addresses and the tokens (a file only its owner can read).</summary>
public sealed record Profile(string? Orchestrator = null, string? IndexAgent = null, string? Economy = null, string? Username = null,
    string? AccessToken = null, string? RefreshToken = null)
{
    public const string FileName = "profile.json";

    public static Profile Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        return File.Exists(path) ? JsonSerializer.Deserialize<Profile>(File.ReadAllText(path), DeanJson.Options) ?? new Profile() : new Profile();
    }

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        // Created with owner-only permissions, so the tokens are never readable by others, even briefly.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            if (File.Exists(path)) File.SetUnixFileMode(path, options.UnixCreateMode.Value);
        }
        using var stream = new FileStream(path, options);
        JsonSerializer.Serialize(stream, this, DeanJson.Options);
    }
}
