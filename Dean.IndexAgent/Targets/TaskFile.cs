using System.Text.Json;
using System.Text.RegularExpressions;
using Dean.Contracts.IndexAgent;
using Dean.IndexAgent.Evaluation;

namespace Dean.IndexAgent.Targets;

/// <summary>One stage of a staged evaluation: stage i+1 runs only when stage i's score reaches <see cref="Threshold"/> (when set).</summary>
public sealed record TaskStage(string Command, double? Threshold);

/// <summary>A target's <c>dean.json</c> (DESIGN section 2), validated field by field.</summary>
/// <param name="Check">A cheap validity gate run before the evaluator (null: the built-in parse check for Python files).</param>
/// <param name="Repeats">Runs of the evaluator per candidate, for noisy evaluators: the median score decides.</param>
/// <param name="Description">The task in words.</param>
/// <param name="Limits">The rlimits of its check and evaluator (<see cref="ProcessLimits.Default"/> when not given).</param>
/// <param name="Network">Whether its commands may use the network (default: none, not even loopback).</param>
/// <param name="Env">Environment variables its commands get in the sandbox (which otherwise has only PATH, HOME and LANG).</param>
/// <param name="ReadOnly">Host paths its commands may read (a toolchain or package cache outside <c>/usr</c>): absolute, or
/// <c>~/</c> for the IndexAgent user's home, as <c>~/</c> in an <paramref name="Env"/> value is.</param>
/// <param name="Format">The repository's layout (<see cref="TaskFormats"/>); for a peer format <paramref name="Evaluate"/> is the
/// peer's evaluator file, which <see cref="PeerRunner"/> runs.</param>
/// <param name="Cascade">OpenEvolve's <c>evaluator.cascade_evaluation</c>: run <c>evaluate_stageN</c> when the evaluator has them.</param>
/// <param name="CascadeThresholds">OpenEvolve's <c>evaluator.cascade_thresholds</c> (null: its defaults).</param>
/// <param name="MaxIterations">OpenEvolve's <c>max_iterations</c>: the evaluations a cycle on this target runs by default.</param>
/// <param name="PopulationSize">OpenEvolve's <c>database.population_size</c>: a cycle's default size (clamped to the constraints).</param>
/// <param name="PeerStages">How many <c>evaluate_stageN</c> functions an OpenEvolve evaluator defines (1..n without a gap).</param>
public sealed partial record TaskFile(string Name, IReadOnlyList<string> Evolve, string Evaluate, string? Score, int TimeoutSeconds,
    string? Check = null, int Repeats = 1, string? Description = null, ProcessLimits? Limits = null, bool Network = false,
    IReadOnlyDictionary<string, string>? Env = null, IReadOnlyList<string>? ReadOnly = null, string Format = TaskFormats.Dean,
    bool Cascade = true, IReadOnlyList<double>? CascadeThresholds = null, IReadOnlyList<TaskStage>? Stages = null, int PeerStages = 0,
    int? MaxIterations = null, int? PopulationSize = null)
{
    /// <summary>
    /// The stages a candidate goes through, 1..n: the <c>stages</c> of <c>dean.json</c>; an OpenEvolve evaluator's
    /// <c>evaluate_stageN</c> (<paramref name="PeerStages"/> of them) when its cascade is on; else the one command.
    /// </summary>
    public IReadOnlyList<TaskStage> StageCommands =>
        Stages is { Count: > 0 } stages ? stages
        : Format == TaskFormats.OpenEvolve && Cascade && PeerStages > 0 ? PeerRunner.Stages(this)
        : [new TaskStage(Command, null)];

    /// <summary><c>stages</c>: an array of <c>{command, threshold?}</c>, or null when absent.</summary>
    private static List<TaskStage>? ParseStages(JsonElement root, Dictionary<string, string[]> errors)
    {
        if (!root.TryGetProperty("stages", out var element) || element.ValueKind == JsonValueKind.Null) return null;
        var stages = new List<TaskStage>();
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
        {
            errors["stages"] = [$"{FileName}: stages must be a non-empty array of {{command, threshold?}}"];
            return stages;
        }
        foreach (var stage in element.EnumerateArray())
        {
            var number = stages.Count + 1;
            if (stage.ValueKind != JsonValueKind.Object || !stage.TryGetProperty("command", out var command) || command.ValueKind != JsonValueKind.String
                || string.IsNullOrWhiteSpace(command.GetString()))
            {
                errors["stages"] = [$"{FileName}: stage {number} needs a non-empty command"];
                return stages;
            }
            double? threshold = null;
            if (stage.TryGetProperty("threshold", out var t) && t.ValueKind != JsonValueKind.Null)
            {
                if (t.ValueKind != JsonValueKind.Number || !double.IsFinite(t.GetDouble()))
                {
                    errors["stages"] = [$"{FileName}: stage {number}'s threshold must be a number"];
                    return stages;
                }
                threshold = t.GetDouble();
            }
            stages.Add(new TaskStage(command.GetString()!, threshold));
        }
        return stages;
    }

    /// <summary>The command that evaluates a candidate: <see cref="Evaluate"/>, or the peer runner for a peer format.</summary>
    public string Command => Format == TaskFormats.Dean ? Evaluate : PeerRunner.Command(this);

    public ProcessLimits Limits { get; } = Limits ?? ProcessLimits.Default;
    public IReadOnlyDictionary<string, string> Env { get; } = Env ?? new Dictionary<string, string>();
    public IReadOnlyList<string> ReadOnly { get; } = ReadOnly ?? [];

    /// <summary>What its check and evaluator may have in the sandbox, with <c>~/</c> expanded.</summary>
    public CommandRules Rules => new(Limits, Network, Env.ToDictionary(e => e.Key, e => Expand(e.Value), StringComparer.Ordinal),
        [.. ReadOnly.Select(Expand), .. Format == TaskFormats.Dean ? [] : new[] { PeerRunner.Directory }]);

    private static string Expand(string value) =>
        value.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), value[2..]) : value;

    public const string FileName = "dean.json";
    public const int DefaultTimeoutSeconds = 30;
    public const int MaxTimeoutSeconds = 3600;
    public const int MaxRepeats = 25;

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    public static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvironmentName();

    /// <summary>Parses and validates; on failure <paramref name="errors"/> maps each wrong field to what is wrong with it.</summary>
    public static TaskFile? Parse(string json, out Dictionary<string, string[]> errors)
    {
        errors = [];
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            errors[FileName] = [$"{FileName} is not valid JSON: {ex.Message}"];
            return null;
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors[FileName] = [$"{FileName} must be a JSON object"];
            return null;
        }

        string? name = null;
        if (!root.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String)
            errors["name"] = [$"{FileName}: name must be a string"];
        else if (!NamePattern().IsMatch(name = nameElement.GetString()!))
            errors["name"] = [$"{FileName}: name must be lower-case letters, digits, '.', '_' or '-' (at most 63)"];

        var evolve = new List<string>();
        if (!root.TryGetProperty("evolve", out var evolveElement) || evolveElement.ValueKind != JsonValueKind.Array || evolveElement.GetArrayLength() == 0)
        {
            errors["evolve"] = [$"{FileName}: evolve must be a non-empty array of file globs"];
        }
        else
        {
            foreach (var item in evolveElement.EnumerateArray())
            {
                var glob = item.ValueKind == JsonValueKind.String ? item.GetString()! : null;
                if (string.IsNullOrWhiteSpace(glob) || glob.StartsWith('/') || glob.Split('/').Contains("..") || glob.Contains('\\'))
                {
                    errors["evolve"] = [$"{FileName}: evolve entries must be relative globs inside the repository (got {item.GetRawText()})"];
                    break;
                }
                if (Glob.IsMatch(glob, FileName))
                {
                    errors["evolve"] = [$"{FileName}: evolve must not include the task file itself"];
                    break;
                }
                evolve.Add(glob);
            }
        }

        var stages = ParseStages(root, errors);
        string? evaluate = null;
        if (root.TryGetProperty("evaluate", out var evaluateElement) && stages is not null)
            errors["evaluate"] = [$"{FileName}: give evaluate or stages, not both"];
        else if (stages is { Count: > 0 })
            evaluate = stages[^1].Command;
        else if (evaluateElement.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(evaluate = evaluateElement.GetString()))
            errors["evaluate"] = [$"{FileName}: evaluate must be a non-empty command"];

        string? score = null;
        if (root.TryGetProperty("score", out var scoreElement) && scoreElement.ValueKind != JsonValueKind.Null)
        {
            if (scoreElement.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(score = scoreElement.GetString()))
                errors["score"] = [$"{FileName}: score must be the name of a key of the evaluator's JSON line"];
        }

        var timeout = DefaultTimeoutSeconds;
        if (root.TryGetProperty("timeoutSeconds", out var timeoutElement) && timeoutElement.ValueKind != JsonValueKind.Null)
        {
            if (timeoutElement.ValueKind != JsonValueKind.Number || !timeoutElement.TryGetInt32(out timeout) || timeout < 1 || timeout > MaxTimeoutSeconds)
                errors["timeoutSeconds"] = [$"{FileName}: timeoutSeconds must be an integer from 1 to {MaxTimeoutSeconds}"];
        }

        var check = OptionalText(root, "check", "check must be a non-empty command", errors);
        var description = OptionalText(root, "description", "description must be a non-empty string", errors);

        var repeats = 1;
        if (root.TryGetProperty("repeats", out var repeatsElement) && repeatsElement.ValueKind != JsonValueKind.Null)
        {
            if (repeatsElement.ValueKind != JsonValueKind.Number || !repeatsElement.TryGetInt32(out repeats) || repeats < 1 || repeats > MaxRepeats)
                errors["repeats"] = [$"{FileName}: repeats must be an integer from 1 to {MaxRepeats}"];
        }

        var limits = ProcessLimits.Parse(root, FileName, errors);

        var network = false;
        if (root.TryGetProperty("network", out var networkElement) && networkElement.ValueKind != JsonValueKind.Null)
        {
            if (networkElement.ValueKind is JsonValueKind.True or JsonValueKind.False) network = networkElement.GetBoolean();
            else errors["network"] = [$"{FileName}: network must be true or false"];
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("env", out var envElement) && envElement.ValueKind != JsonValueKind.Null)
        {
            if (envElement.ValueKind != JsonValueKind.Object) errors["env"] = [$"{FileName}: env must be an object of names to string values"];
            else
                foreach (var variable in envElement.EnumerateObject())
                {
                    if (!EnvironmentName().IsMatch(variable.Name) || variable.Value.ValueKind != JsonValueKind.String)
                        errors[$"env.{variable.Name}"] = [$"{FileName}: env.{variable.Name} must be a variable name (letters, digits, '_') with a string value"];
                    else env[variable.Name] = variable.Value.GetString()!;
                }
        }

        var readOnly = new List<string>();
        if (root.TryGetProperty("read_only", out var readOnlyElement) && readOnlyElement.ValueKind != JsonValueKind.Null)
        {
            if (readOnlyElement.ValueKind != JsonValueKind.Array) errors["read_only"] = [$"{FileName}: read_only must be an array of absolute paths"];
            else
                foreach (var item in readOnlyElement.EnumerateArray())
                {
                    var path = item.ValueKind == JsonValueKind.String ? item.GetString()! : "";
                    if (!(path.StartsWith('/') || path.StartsWith("~/", StringComparison.Ordinal)) || path.Trim('/', '~').Length == 0 || path.Split('/').Contains(".."))
                    {
                        errors["read_only"] = [$"{FileName}: read_only entries must be absolute (or ~/) paths below / without '..' (got {item.GetRawText()})"];
                        break;
                    }
                    readOnly.Add(path.TrimEnd('/'));
                }
        }

        return errors.Count == 0 ? new TaskFile(name!, evolve, evaluate!, score, timeout, check, repeats, description, limits, network, env, readOnly, Stages: stages) : null;
    }

    private static string? OptionalText(JsonElement root, string key, string problem, Dictionary<string, string[]> errors)
    {
        if (!root.TryGetProperty(key, out var element) || element.ValueKind == JsonValueKind.Null) return null;
        if (element.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(element.GetString())) return element.GetString();
        errors[key] = [$"{FileName}: {problem}"];
        return null;
    }
}
