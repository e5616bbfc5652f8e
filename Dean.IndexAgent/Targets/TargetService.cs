using Dean.IndexAgent.Workspace;
using Microsoft.Extensions.Options;

namespace Dean.IndexAgent.Targets;

public abstract record RegisterResult
{
    public sealed record Created(Target Target) : RegisterResult;
    public sealed record Invalid(Dictionary<string, string[]> Errors) : RegisterResult;
    public sealed record Conflict(string Name) : RegisterResult;
}

/// <summary>Registers targets: import into the workspace, validate <c>dean.json</c> (or detect a peer's layout), record.</summary>
public sealed class TargetService(TargetStore store, WorkspaceService workspace, IOptions<IndexAgentOptions> options, ILogger<TargetService> logger)
{
    /// <summary>The default name of a repository without a task file: its last path segment, in the names' alphabet.</summary>
    public static string NameOf(string repository)
    {
        var segment = repository.TrimEnd('/', '\\');
        segment = segment[(segment.LastIndexOfAny(['/', '\\', ':']) + 1)..];
        if (segment.EndsWith(".git", StringComparison.OrdinalIgnoreCase)) segment = segment[..^4];
        var name = new string(segment.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-').ToArray()).Trim('-', '.', '_');
        name = name.Length > 63 ? name[..63] : name;
        return TaskFile.NamePattern().IsMatch(name) ? name : "target";
    }

    private static readonly SemaphoreSlim Gate = new(1, 1);

    public async Task<RegisterResult> RegisterAsync(string? name, string repository, bool isDefault, CancellationToken ct)
    {
        if (name is not null && !TaskFile.NamePattern().IsMatch(name))
            return new RegisterResult.Invalid(new() { ["name"] = ["name must be lower-case letters, digits, '.', '_' or '-' (at most 63)"] });
        if (string.IsNullOrWhiteSpace(repository))
            return new RegisterResult.Invalid(new() { ["repository"] = ["repository is required: a local path or a git URL"] });
        if (name is not null && await store.FindAsync(name, ct) is not null) return new RegisterResult.Conflict(name);

        // Import under a scratch name: the final name may come from dean.json.
        var scratch = Path.Combine(options.Value.TargetsDirectory, $".import-{Guid.NewGuid():N}");
        try
        {
            string head;
            try
            {
                head = await workspace.ImportAsync(repository, scratch, ct);
            }
            catch (GitException ex)
            {
                return new RegisterResult.Invalid(new() { ["repository"] = [$"cannot clone the repository: {ex.Message}"] });
            }
            // dean.json first; without one, a peer's layout (OpenEvolve, ShinkaEvolve) named after the repository.
            var taskPath = Path.Combine(scratch, TaskFile.FileName);
            Dictionary<string, string[]> errors;
            var task = File.Exists(taskPath)
                ? TaskFile.Parse(await File.ReadAllTextAsync(taskPath, ct), out errors)
                : PeerTask.Detect(scratch, name ?? NameOf(repository), out errors);
            if (task is null) return new RegisterResult.Invalid(errors);

            var finalName = name ?? task.Name;
            await Gate.WaitAsync(ct);
            try
            {
                if (await store.FindAsync(finalName, ct) is not null) return new RegisterResult.Conflict(finalName);
                var path = workspace.TargetPath(finalName);
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true); // left by an earlier failed registration
                Directory.Move(scratch, path);
                var target = new Target(finalName, repository, path, task, head, isDefault, DateTimeOffset.UtcNow);
                if (!await store.InsertAsync(target, ct)) return new RegisterResult.Conflict(finalName);
                logger.LogInformation("Registered target {Target} from {Repository} at {Head}", finalName, repository, head);
                return new RegisterResult.Created((await store.FindAsync(finalName, ct))!);
            }
            finally
            {
                Gate.Release();
            }
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }
}

/// <summary>On start-up: the workspace folders exist, and a fresh install gets its default target from the fast sample.</summary>
public sealed class DefaultTargetInitializer(IServiceProvider services, IOptions<IndexAgentOptions> options, ILogger<DefaultTargetInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<WorkspaceService>().EnsureCreated();
        var store = services.GetRequiredService<TargetStore>();
        if ((await store.ListAsync(cancellationToken)).Count > 0) return;
        var samples = options.Value.SamplesRoot;
        var sample = samples is null ? null : Path.Combine(samples, options.Value.DefaultSample);
        if (sample is null || !Directory.Exists(sample))
        {
            logger.LogWarning("No default target: the sample {Sample} does not exist (IndexAgent:SamplesRoot)", sample);
            return;
        }
        var result = await services.GetRequiredService<TargetService>().RegisterAsync(null, sample, isDefault: true, cancellationToken);
        if (result is not RegisterResult.Created and not RegisterResult.Conflict)
            logger.LogError("The default target from {Sample} was refused: {Result}", sample, result);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
