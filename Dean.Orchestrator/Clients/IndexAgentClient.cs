using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dean.Orchestrator.Clients;

/// <summary>The orchestrator's view of the IndexAgent: agents, evolution steps, the population step, patterns.</summary>
public sealed class IndexAgentClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = Microsoft.Extensions.Hosting.Extensions.DeanJson;

    /// <summary>The <c>evaluation</c> of a step that was refused before anything ran.</summary>
    public const string SkippedEvaluation = "skipped";

    /// <summary>
    /// The client's reading of a step: the fields of the server's <see cref="EvolveResponse"/> a cycle records, or a step
    /// refused before anything ran (<see cref="SkippedEvaluation"/>), which has no EvolveResponse. The contract test checks
    /// that every field here is one the server sends.
    /// </summary>
    public sealed record StepResult(string? CandidateId, bool Accepted, double? Score, double? PreviousFitness, long TokensUsed, long EvaluationMs, string? Reason,
        string? EditKind = null, string? Evaluation = null, IReadOnlyList<StageResult>? Stages = null);

    public Task<AgentResponse> CreateAgentAsync(string goal, string? target, long tokenBudget, string? cycleId, CancellationToken ct)
        => http.PostDeanAsync<AgentResponse>("/api/v1/agents", new CreateAgentRequest(goal, target, tokenBudget, CycleId: cycleId), ct);

    public async Task<AgentResponse?> GetAgentAsync(string id, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/api/v1/agents/{Uri.EscapeDataString(id)}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await DownstreamException.ThrowIfFailedAsync(response, ct);
        return await response.Content.ReadFromJsonAsync<AgentResponse>(Json, ct);
    }

    public Task<ProgramResponse> GetProgramAsync(string id, CancellationToken ct) =>
        http.GetDeanAsync<ProgramResponse>($"/api/v1/agents/{Uri.EscapeDataString(id)}/program", ct);

    public Task<RescoreResponse> RescoreAsync(string id, CancellationToken ct) =>
        http.PostDeanAsync<RescoreResponse>($"/api/v1/agents/{Uri.EscapeDataString(id)}/rescore", new { }, ct);

    /// <summary>The agent's program as one patch on the target's head; null when it does not differ from that head.</summary>
    public async Task<string?> GetPatchAsync(string id, string subject, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/api/v1/agents/{Uri.EscapeDataString(id)}/patch?subject={Uri.EscapeDataString(subject)}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await DownstreamException.ThrowIfFailedAsync(response, ct);
        return await response.Content.ReadAsStringAsync(ct);
    }

    /// <summary>Pushes the agent's program as <paramref name="request"/>'s branch; a refusal (409) comes back as a <see cref="DownstreamException"/>.</summary>
    public Task<ExportResponse> ExportAsync(string id, ExportRequest request, CancellationToken ct) =>
        http.PostDeanAsync<ExportResponse>($"/api/v1/agents/{Uri.EscapeDataString(id)}/export", request, ct);

    public Task<AgentListResponse> ListAgentsAsync(string? status, int limit, int offset, CancellationToken ct)
        => http.GetDeanAsync<AgentListResponse>(
            $"/api/v1/agents?limit={limit}&offset={offset}" + (status is null ? "" : $"&status={Uri.EscapeDataString(status)}"), ct);

    /// <summary>Every agent (of <paramref name="status"/>, when given), read page by page at the API's largest page.</summary>
    public async Task<List<AgentResponse>> ListAllAgentsAsync(string? status, CancellationToken ct)
    {
        var all = new List<AgentResponse>();
        for (var offset = 0; ; offset += Paging.MaxLimit)
        {
            var page = await ListAgentsAsync(status, Paging.MaxLimit, offset, ct);
            all.AddRange(page.Agents);
            if (page.Agents.Count < Paging.MaxLimit || all.Count >= page.Total) return all;
        }
    }

    /// <summary>The agent's candidate of (cycle, generation) among its most recent ones, if that step already happened.</summary>
    public async Task<CandidateResponse?> FindCandidateAsync(string agentId, string cycleId, int generation, CancellationToken ct)
    {
        const int Window = 50;
        var path = $"/api/v1/agents/{Uri.EscapeDataString(agentId)}/candidates";
        var head = (await http.GetFromJsonAsync<CandidateListResponse>($"{path}?limit=1&offset=0", Json, ct))!;
        var recent = (await http.GetFromJsonAsync<CandidateListResponse>($"{path}?limit={Window}&offset={Math.Max(0, head.Total - Window)}", Json, ct))!;
        return recent.Candidates.LastOrDefault(c => c.CycleId == cycleId && c.Generation == generation);
    }

    public async Task<StepResult> EvolveAsync(string agentId, string cycleId, int generation, int seed, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync($"/api/v1/agents/{Uri.EscapeDataString(agentId)}/evolve",
            new { seed, cycle_id = cycleId, generation }, Json, ct);
        return await StepAsync(response, ct);
    }

    private static async Task<StepResult> StepAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            // A refusal is a step not taken (recorded as skipped, with the refusal's type as its reason); anything else fails the step.
            var failure = await DownstreamException.FromAsync(response, ct);
            if (failure.Status == HttpStatusCode.Conflict && failure.ProblemType is ProblemTypes.BudgetExceeded or ProblemTypes.AgentNotActive)
                return new StepResult(null, false, null, null, 0, 0, failure.ProblemType, null, SkippedEvaluation);
            throw failure;
        }
        return (await response.Content.ReadFromJsonAsync<StepResult>(Json, ct))!;
    }

    /// <param name="populationSize">The size the population is held at; <paramref name="explicitPopulation"/> when it is the count of a given list.</param>
    public Task<PopulationEvolveResponse> EvolvePopulationAsync(IReadOnlyList<string> populationIds, string cycleId, int generation, IReadOnlyList<int> caRules,
        double diversityThreshold, int populationSize, bool explicitPopulation, CancellationToken ct)
        => http.PostDeanAsync<PopulationEvolveResponse>("/api/v1/population/evolve", new PopulationEvolveRequest(
            [.. populationIds], cycleId, generation, [.. caRules], diversityThreshold, populationSize, explicitPopulation), ct);

    public Task<DiversityResponse> DiversityAsync(IReadOnlyList<string> populationIds, CancellationToken ct)
        => http.PostDeanAsync<DiversityResponse>("/api/v1/diversity/population", new DiversityRequest([.. populationIds]), ct);

    /// <summary>One step outside any cycle (the <c>dean_agent_evolution</c> job); refusals are skipped steps as in <see cref="EvolveAsync"/>.</summary>
    public async Task<StepResult> EvolveOutsideCycleAsync(string agentId, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync($"/api/v1/agents/{Uri.EscapeDataString(agentId)}/evolve", new { }, Json, ct);
        return await StepAsync(response, ct);
    }

    public Task RetireAgentAsync(string id, CancellationToken ct) => SendAsync(HttpMethod.Delete, $"/api/v1/agents/{Uri.EscapeDataString(id)}", ct);

    public Task PauseAgentAsync(string id, CancellationToken ct) => SendAsync(HttpMethod.Post, $"/api/v1/agents/{Uri.EscapeDataString(id)}/pause", ct);

    public Task ResumeAgentAsync(string id, CancellationToken ct) => SendAsync(HttpMethod.Post, $"/api/v1/agents/{Uri.EscapeDataString(id)}/resume", ct);

    public Task<DiscoverResponse> DiscoverPatternsAsync(CancellationToken ct) => http.PostDeanAsync<DiscoverResponse>("/api/v1/patterns/discover", new { }, ct);

    public Task<ArchiveResponse> ArchivePatternsAsync(int olderThanDays, int minUsage, CancellationToken ct) =>
        http.PostDeanAsync<ArchiveResponse>("/api/v1/patterns/archive", new ArchiveRequest(olderThanDays, minUsage), ct);

    public Task<WorktreePruneResponse> PruneWorktreesAsync(CancellationToken ct) => http.PostDeanAsync<WorktreePruneResponse>("/api/v1/maintenance/prune-worktrees", new { }, ct);

    public async Task<TargetResponse?> GetTargetAsync(string name, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/api/v1/targets/{Uri.EscapeDataString(name)}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await DownstreamException.ThrowIfFailedAsync(response, ct);
        return await response.Content.ReadFromJsonAsync<TargetResponse>(Json, ct);
    }

    public Task<TargetListResponse> ListTargetsAsync(CancellationToken ct) => http.GetDeanAsync<TargetListResponse>("/api/v1/targets", ct);

    /// <summary>How many patterns the catalogue holds (archived ones included).</summary>
    public async Task<long> CountPatternsAsync(CancellationToken ct) => (await http.GetDeanAsync<PatternListResponse>("/api/v1/patterns?limit=1", ct)).Total;

    private async Task SendAsync(HttpMethod method, string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        using var response = await http.SendAsync(request, ct);
        await DownstreamException.ThrowIfFailedAsync(response, ct);
    }
}
