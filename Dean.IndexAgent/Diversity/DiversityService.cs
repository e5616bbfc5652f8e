using System.Text.Json;
using Dapper;
using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evolution;
using Dean.IndexAgent.Operators;
using Dean.IndexAgent.Population;
using Dean.IndexAgent.Targets;
using Dean.IndexAgent.Workspace;
using Npgsql;

namespace Dean.IndexAgent.Diversity;

/// <summary>
/// I/O edges of the diversity metric (DESIGN section 6): builds <see cref="DiversityMember"/>s from stored agents (their
/// committed evolved files, read from the target repository at their head commit, and their lineage) and records
/// interventions. The arithmetic is <see cref="Evolution.Diversity"/> / <see cref="DiversityDefence"/>.
/// </summary>
public sealed class DiversityService(NpgsqlDataSource db, AgentStore agents, TargetStore targets, PopulationMetrics metrics)
{
    private static readonly JsonSerializerOptions Json = Microsoft.Extensions.Hosting.Extensions.DeanJson;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _filesByCommit = new();

    /// <summary>Members in the given agents' order.</summary>
    public async Task<IReadOnlyList<DiversityMember>> MembersAsync(IReadOnlyList<Agent> population, CancellationToken ct)
    {
        var members = new List<DiversityMember>();
        foreach (var agent in population)
        {
            var files = await EvolvedFilesAsync(agent, ct);
            var (ancestors, _) = await agents.LineageAsync(agent.Id, ct);
            members.Add(new DiversityMember(agent.Id, agent.Genome, agent.Fitness ?? double.NegativeInfinity, files, [agent.Id, .. ancestors.Select(a => a.Id)]));
        }
        return members;
    }

    public DiversityReport Measure(IReadOnlyList<DiversityMember> members, double threshold)
    {
        var report = Evolution.Diversity.Measure(members, threshold);
        metrics.Diversity(report.Diversity);
        return report;
    }

    /// <summary>The agent's committed version of every file of its target's evolve scope (cached per target and commit).</summary>
    public async Task<IReadOnlyDictionary<string, string>> EvolvedFilesAsync(Agent agent, CancellationToken ct)
    {
        var key = $"{agent.Target}@{agent.HeadCommit}";
        if (_filesByCommit.TryGetValue(key, out var cached)) return cached;
        var target = await targets.FindAsync(agent.Target, ct) ?? throw new InvalidOperationException($"target {agent.Target} is missing");
        var scope = new EvolveScope(target.Task.Evolve);
        var listing = await GitCli.RunAsync(target.Path, ["ls-tree", "-r", "--name-only", agent.HeadCommit], ct);
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(scope.InScope))
        {
            var (exit, content, _) = await GitCli.TryRunAsync(target.Path, ["show", $"{agent.HeadCommit}:{path}"], ct);
            if (exit == 0) files[path] = content;
        }
        if (_filesByCommit.Count > 10_000) _filesByCommit.Clear(); // commits are immutable: the cache only ever saves git calls
        _filesByCommit[key] = files;
        return files;
    }

    /// <summary>Persists the genomes the interventions produced and records every intervention.</summary>
    public async Task RecordAsync(long? stepId, DefenceResult result, CancellationToken ct)
    {
        foreach (var (id, genome) in result.GenomeUpdates) await agents.SetGenomeAsync(id, genome, ct);
        await RecordInterventionsAsync(stepId, result.Interventions, result.Before.Diversity, result.After.Diversity, ct);
    }

    /// <summary>Interventions of a population step (the defence's, and the answers to stagnation) in the audit table.</summary>
    public async Task RecordInterventionsAsync(long? stepId, IReadOnlyList<DiversityIntervention> interventions, double diversityBefore, double diversityAfter, CancellationToken ct)
    {
        if (interventions.Count == 0) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync("""
            INSERT INTO diversity_interventions (step_id, kind, agent_id, strength, reason, genome_before, genome_after, related_agent_id,
                                                 pattern_id, diversity_before, diversity_after)
            VALUES (@stepId, @Kind, @AgentId, @Strength, @Reason, @before::jsonb, @after::jsonb, @RelatedAgentId, @PatternId, @diversityBefore, @diversityAfter)
            """, interventions.Select(i => new
        {
            stepId, i.Kind, i.AgentId, i.Strength, i.Reason, before = JsonSerializer.Serialize(i.Before, Json), after = JsonSerializer.Serialize(i.After, Json),
            i.RelatedAgentId, i.PatternId, diversityBefore, diversityAfter,
        }));
    }
}
