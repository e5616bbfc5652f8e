using Dean.Orchestrator.Evolution;

namespace Dean.Orchestrator.OperatorConsole;

/// <summary>
/// Which input of the start form an error of <see cref="CycleLauncher"/> belongs to: its own field names and the
/// Economy's constraint names (<c>validate</c>) both land next to the input they are about; the rest go above the form.
/// </summary>
public sealed class StartFormErrors
{
    public const string Target = "target", PopulationSize = "population_size", Generations = "generations", TokenBudget = "token_budget";

    private static readonly Dictionary<string, string> FieldOf = new(StringComparer.Ordinal)
    {
        ["target"] = Target,
        ["population"] = PopulationSize,
        ["population_size"] = PopulationSize,
        ["population_size_range"] = PopulationSize,
        ["generations"] = Generations,
        ["max_generations"] = Generations,
        ["token_budget"] = TokenBudget,
        ["max_tokens_per_agent"] = TokenBudget,
    };

    private readonly Dictionary<string, List<string>> _byField = new(StringComparer.Ordinal);
    private readonly List<string> _general = [];

    public static readonly StartFormErrors None = new();

    public static StartFormErrors Of(StartCycleOutcome outcome)
    {
        var errors = new StartFormErrors();
        foreach (var (key, messages) in outcome.Invalid ?? new Dictionary<string, string[]>())
        {
            if (FieldOf.TryGetValue(key, out var field))
            {
                if (!errors._byField.TryGetValue(field, out var list)) errors._byField[field] = list = [];
                list.AddRange(messages);
            }
            else errors._general.AddRange(messages);
        }
        if (outcome.BudgetRefusal is { } refusal) errors._general.Add(refusal);
        if (outcome.Busy is { } busy) errors._general.Add(busy.Detail);
        return errors;
    }

    public static StartFormErrors Failure(string message)
    {
        var errors = new StartFormErrors();
        errors._general.Add(message);
        return errors;
    }

    /// <summary>The form's numbers as typed: empty is null (the launcher's defaults or its errors), anything else must be a whole number.</summary>
    public static (int? PopulationSize, int? Generations, long? TokenBudget, StartFormErrors? Errors) Numbers(string? populationSize, string? generations, string? tokenBudget)
    {
        var errors = new StartFormErrors();
        var size = Parse(populationSize, PopulationSize, errors);
        var count = Parse(generations, Generations, errors);
        var budget = Parse(tokenBudget, TokenBudget, errors);
        return errors._byField.Count > 0 ? (null, null, null, errors)
            : ((int?)size, (int?)count, budget, null);
    }

    private static long? Parse(string? text, string field, StartFormErrors errors)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var limit = field == TokenBudget ? long.MaxValue : int.MaxValue;
        if (long.TryParse(text.Trim(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value)
            && value >= -limit && value <= limit)
            return value;
        errors._byField[field] = [$"{field} must be a whole number"];
        return null;
    }

    public IReadOnlyList<string> For(string field) => _byField.TryGetValue(field, out var list) ? list : [];

    public IReadOnlyList<string> General => _general;
}
