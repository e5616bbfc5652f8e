using System.CommandLine;
using Dean.Contracts.Orchestrator;
using Spectre.Console;

namespace Dean.Cli.Commands;

/// <summary><c>dean backup</c> and <c>dean restore</c>: start the runbook's procedure and follow its log until it ends.</summary>
public static class BackupCommands
{
    public static Command Backup(CommandContext context)
    {
        var list = new Option<bool>("--list", "-l") { Description = "List the backups instead of taking one" };
        var command = new Command("backup", "Back up the databases and the workspace, following the log until it ends") { list };
        command.SetAction(context.Action(async (parse, api, output, ct) =>
        {
            if (parse.GetValue(list))
            {
                var backups = await api.GetAsync<BackupList>(Service.Orchestrator, "/api/v1/backups/", ct);
                output.Show(backups, l =>
                {
                    var table = Output.Table("Backup", "Status", "Created", "Size", "SHA-256");
                    foreach (var b in l.Backups)
                        table.AddRow(b.BackupId, Output.Status(b.Status), $"{b.CreatedAt:u}", b.SizeBytes is { } size ? $"{size / 1024.0:N0} KiB" : "—", Markup.Escape(b.Sha256?[..12] ?? "—"));
                    return table.Caption($"in {Markup.Escape(l.Directory)}, kept {l.RetentionDays} days");
                });
                return 0;
            }
            var accepted = await api.PostAsync<BackupAccepted>(Service.Orchestrator, "/api/v1/backups/", null, ct);
            var backup = await FollowAsync(output, context.Settings.Poll, accepted.BackupId,
                () => api.GetAsync<BackupResponse>(Service.Orchestrator, $"/api/v1/backups/{accepted.BackupId}", ct), b => (b.Status, b.Log), ct);
            if (output.IsJson) output.WriteJson(backup);
            else output.Line(backup.Status == BackupStatus.Completed
                ? $"Backup [bold]{backup.BackupId}[/] completed: {Markup.Escape(backup.Path)} ({backup.SizeBytes / 1024.0:N0} KiB, sha256 {Markup.Escape(backup.Sha256 ?? "")})"
                : $"Backup [bold]{backup.BackupId}[/] [red]failed[/]: {Markup.Escape(backup.Error ?? "")}");
            return backup.Status == BackupStatus.Completed ? 0 : 1;
        }));
        return command;
    }

    public static Command Restore(CommandContext context)
    {
        var id = new Argument<string>("backup") { Description = "The backup to restore" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Confirm: the databases and the workspace are replaced by the backup's" };
        var command = new Command("restore", "Restore a backup (stops cycles; replaces the current state)") { id, yes };
        command.SetAction(context.Action(async (parse, api, output, ct) =>
        {
            var backupId = parse.GetValue(id)!;
            if (!parse.GetValue(yes) && !(output.Console.Profile.Capabilities.Interactive &&
                                          output.Console.Confirm($"Replace the current state with backup {Markup.Escape(backupId)}?", defaultValue: false)))
            {
                output.Error("a restore replaces the current state: confirm with --yes");
                return 2;
            }
            var accepted = await api.PostAsync<RestoreAccepted>(Service.Orchestrator, $"/api/v1/backups/{Uri.EscapeDataString(backupId)}/restore", null, ct);
            var restore = await FollowAsync(output, context.Settings.Poll, accepted.RestoreId,
                () => api.GetAsync<RestoreResponse>(Service.Orchestrator, $"/api/v1/restores/{accepted.RestoreId}", ct), r => (r.Status, r.Log), ct);
            if (output.IsJson) output.WriteJson(restore);
            else output.Line(restore.Status == BackupStatus.Completed
                ? $"Restore [bold]{restore.RestoreId}[/] of {Markup.Escape(restore.BackupId)} completed"
                : $"Restore [bold]{restore.RestoreId}[/] [red]failed[/]: {Markup.Escape(restore.Error ?? "")}");
            return restore.Status == BackupStatus.Completed ? 0 : 1;
        }));
        return command;
    }

    /// <summary>Polls until the procedure ends, printing each new log line as it appears (so a long restore shows its progress).</summary>
    private static async Task<T> FollowAsync<T>(Output output, TimeSpan poll, string id, Func<Task<T>> get, Func<T, (string Status, IReadOnlyList<string> Log)> read, CancellationToken ct)
    {
        var shown = 0;
        output.Line($"[grey]{Markup.Escape(id)}[/] started");
        while (true)
        {
            var current = await get();
            var (status, log) = read(current);
            for (; shown < log.Count; shown++)
                if (!output.IsJson) output.Console.MarkupLineInterpolated($"  [grey]{log[shown]}[/]");
            if (BackupStatus.IsTerminal(status)) return current;
            await Task.Delay(poll, ct);
        }
    }
}
