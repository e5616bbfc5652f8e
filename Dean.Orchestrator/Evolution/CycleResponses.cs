namespace Dean.Orchestrator.Evolution;

/// <summary>A cycle as the API and the console show it: its row with every completed generation, its edit kinds and stages.</summary>
public static class CycleResponses
{
    /// <summary>Cycles newest first, optionally of one status.</summary>
    public static async Task<IReadOnlyList<CycleStatusResponse>> ListAsync(CycleStore cycles, string? status, int limit, CancellationToken ct)
    {
        var items = new List<CycleStatusResponse>();
        foreach (var cycle in await cycles.ListAsync(status, limit, ct)) items.Add(await ReadAsync(cycle, cycles, ct));
        return items;
    }

    public static async Task<CycleStatusResponse> ReadAsync(Cycle cycle, CycleStore cycles, CancellationToken ct) =>
        ToResponse(cycle, await cycles.GenerationsAsync(cycle.Id, ct), await cycles.EditKindsAsync(cycle.Id, ct), await cycles.StagesAsync(cycle.Id, ct));

    private static CycleStatusResponse ToResponse(Cycle c, IReadOnlyList<GenerationRecord> generations, IReadOnlyDictionary<string, EditKindStats> editKinds,
        IReadOnlyDictionary<string, int> stages) => new(
        c.Id, c.Status, c.CurrentGeneration, c.TotalGenerations, c.TokenBudget, c.TokensConsumed, c.PatternsDiscovered,
        c.PopulationDiversity, c.BestScore, c.BestAgentId, c.PopulationIds, c.Target, c.CaRules, c.DiversityThreshold,
        generations.Select(g => new GenerationResponse(g.Generation, g.BestScore, g.MeanScore, g.Diversity, g.Accepted, g.Evaluations,
            g.Tokens, g.CaRulesFired, g.StartedAt, g.CompletedAt)).ToList(),
        c.CreatedAt, c.StartedAt, c.EndedAt, c.Error, c.PopulationSize, editKinds, stages);
}
