using System.Globalization;
using System.Text.RegularExpressions;
using Dean.Contracts.IndexAgent;
using YamlDotNet.RepresentationModel;

namespace Dean.IndexAgent.Targets;

/// <summary>
/// A repository without a <c>dean.json</c> in a peer's layout (DESIGN section 2), as a task: OpenEvolve's
/// <c>initial_program.&lt;ext&gt;</c> + <c>evaluator.py</c>, or ShinkaEvolve's <c>initial.&lt;ext&gt;</c> + <c>evaluate.py</c>.
/// The evolve scope is the initial program (its EVOLVE-BLOCK when marked). OpenEvolve's <c>config.yaml</c> gives
/// <c>evaluator.timeout</c>, <c>evaluator.cascade_evaluation</c>, <c>evaluator.cascade_thresholds</c> and
/// <c>prompt.system_message</c>, <c>max_iterations</c> and <c>database.population_size</c> (a cycle's defaults); what it
/// does not give is DEAN's default. Its <c>evaluate_stageN</c> functions become
/// DEAN's stages.
/// </summary>
public static class PeerTask
{
    public const string OpenEvolveEvaluator = "evaluator.py";
    public const string ShinkaEvaluator = "evaluate.py";
    public const string OpenEvolveConfig = "config.yaml";

    /// <summary>The task of <paramref name="directory"/>, or null with <paramref name="errors"/> saying why it is none.</summary>
    public static TaskFile? Detect(string directory, string name, out Dictionary<string, string[]> errors)
    {
        errors = [];
        var openEvolve = Initial(directory, "initial_program");
        var shinka = Initial(directory, "initial");
        if (openEvolve is not null && File.Exists(Path.Combine(directory, OpenEvolveEvaluator)))
            return FromOpenEvolve(directory, name, openEvolve, errors);
        if (shinka is not null && File.Exists(Path.Combine(directory, ShinkaEvaluator)))
            return new TaskFile(name, [shinka], ShinkaEvaluator, null, TaskFile.DefaultTimeoutSeconds, Format: TaskFormats.Shinka);
        errors[TaskFile.FileName] = [$"the repository has no {TaskFile.FileName} at its root, nor OpenEvolve's initial_program.<ext> and {OpenEvolveEvaluator}, " +
                                     $"nor ShinkaEvolve's initial.<ext> and {ShinkaEvaluator}"];
        return null;
    }

    private static string? Initial(string directory, string stem)
    {
        var found = System.IO.Directory.EnumerateFiles(directory, stem + ".*").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        return found.Count == 1 ? found[0] : null;
    }

    private static TaskFile? FromOpenEvolve(string directory, string name, string program, Dictionary<string, string[]> errors)
    {
        var source = File.ReadAllText(Path.Combine(directory, OpenEvolveEvaluator));
        var stages = 0;
        while (Regex.IsMatch(source, $@"^def\s+evaluate_stage{stages + 1}\s*\(", RegexOptions.Multiline)) stages++;
        var task = new TaskFile(name, [program], OpenEvolveEvaluator, null, TaskFile.DefaultTimeoutSeconds, Format: TaskFormats.OpenEvolve, PeerStages: stages);
        var configPath = Path.Combine(directory, OpenEvolveConfig);
        if (!File.Exists(configPath)) return task;
        YamlMappingNode root;
        try
        {
            var yaml = new YamlStream();
            using (var reader = new StreamReader(configPath)) yaml.Load(reader);
            if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode mapping) return task;
            root = mapping;
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            errors[OpenEvolveConfig] = [$"{OpenEvolveConfig} is not valid YAML: {ex.Message}"];
            return null;
        }
        if (Scalar(root, "evaluator", "timeout") is { } timeout)
        {
            if (!double.TryParse(timeout, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
                errors["evaluator.timeout"] = [$"{OpenEvolveConfig}: evaluator.timeout must be a positive number of seconds"];
            else task = task with { TimeoutSeconds = (int)Math.Clamp(Math.Ceiling(seconds), 1, TaskFile.MaxTimeoutSeconds) };
        }
        if (Scalar(root, "evaluator", "cascade_evaluation") is { } cascade)
        {
            if (!bool.TryParse(cascade, out var enabled)) errors["evaluator.cascade_evaluation"] = [$"{OpenEvolveConfig}: evaluator.cascade_evaluation must be true or false"];
            else task = task with { Cascade = enabled };
        }
        if (Node(root, "evaluator", "cascade_thresholds") is { } thresholds)
        {
            var values = thresholds is YamlSequenceNode sequence
                ? sequence.Children.Select(c => double.TryParse((c as YamlScalarNode)?.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToList()
                : [double.NaN];
            if (values.Count == 0 || values.Any(v => !double.IsFinite(v))) errors["evaluator.cascade_thresholds"] = [$"{OpenEvolveConfig}: evaluator.cascade_thresholds must be a list of numbers"];
            else task = task with { CascadeThresholds = values };
        }
        if (Scalar(root, "prompt", "system_message") is { Length: > 0 } message) task = task with { Description = message };
        if ((root.Children.TryGetValue(new YamlScalarNode("max_iterations"), out var iterations) ? (iterations as YamlScalarNode)?.Value ?? "" : null) is { } text)
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1) errors["max_iterations"] = [$"{OpenEvolveConfig}: max_iterations must be a positive integer"];
            else task = task with { MaxIterations = n };
        }
        if (Scalar(root, "database", "population_size") is { } size)
        {
            if (!int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1) errors["database.population_size"] = [$"{OpenEvolveConfig}: database.population_size must be a positive integer"];
            else task = task with { PopulationSize = n };
        }
        return errors.Count == 0 ? task : null;
    }

    private static YamlNode? Node(YamlMappingNode root, string section, string key) =>
        root.Children.TryGetValue(new YamlScalarNode(section), out var s) && s is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static string? Scalar(YamlMappingNode root, string section, string key) => (Node(root, section, key) as YamlScalarNode)?.Value;
}
