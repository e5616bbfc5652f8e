using Dean.IndexAgent.Targets;

namespace Dean.Tests.IndexAgent;

public sealed class TaskFileTests
{
    [Fact]
    public void A_complete_task_file_parses_with_defaults()
    {
        var task = TaskFile.Parse("""{"name": "demo", "evolve": ["src/**/*.py"], "evaluate": "python3 eval.py"}""", out var errors);
        Assert.Empty(errors);
        Assert.NotNull(task);
        Assert.Equal(["src/**/*.py"], task.Evolve);
        Assert.Null(task.Score);
        Assert.Equal(TaskFile.DefaultTimeoutSeconds, task.TimeoutSeconds);
        Assert.Equal(Dean.IndexAgent.Evaluation.ProcessLimits.Default, task.Limits);
        Assert.False(task.Network);
    }

    [Fact]
    public void Env_and_read_only_paths_reach_the_sandbox_with_home_expanded()
    {
        var task = TaskFile.Parse("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "env": {"CACHE": "~/.cache/x", "MODE": "fast"}, "read_only": ["~/.cache/x", "/opt/tool/"]}""", out var errors);
        Assert.Empty(errors);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal($"{home}/.cache/x", task!.Rules.Environment["CACHE"]);
        Assert.Equal("fast", task.Rules.Environment["MODE"]);
        Assert.Equal([$"{home}/.cache/x", "/opt/tool"], task.Rules.ReadOnlyPaths);
    }

    [Fact]
    public void Limits_override_the_defaults_one_key_at_a_time()
    {
        var task = TaskFile.Parse("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "limits": {"memory_mb": 512, "file_size_mb": 8}}""", out var errors);
        Assert.Empty(errors);
        Assert.Equal(Dean.IndexAgent.Evaluation.ProcessLimits.Default with { MemoryMb = 512, FileSizeMb = 8 }, task!.Limits);
        Assert.Contains("--as=536870912", task.Limits.PrlimitArguments());
        Assert.Contains("--fsize=8388608", task.Limits.PrlimitArguments());
    }

    [Theory]
    [InlineData("""{"name": "demo", "evolve": "program.py", "evaluate": "x"}""", "evolve")]
    [InlineData("""{"name": "demo", "evolve": [], "evaluate": "x"}""", "evolve")]
    [InlineData("""{"name": "demo", "evolve": ["../outside.py"], "evaluate": "x"}""", "evolve")]
    [InlineData("""{"name": "demo", "evolve": ["*.json"], "evaluate": "x"}""", "evolve")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"]}""", "evaluate")]
    [InlineData("""{"name": "Demo Name", "evolve": ["a.py"], "evaluate": "x"}""", "name")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "timeoutSeconds": 0}""", "timeoutSeconds")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "timeoutSeconds": "30"}""", "timeoutSeconds")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "score": 5}""", "score")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "limits": 5}""", "limits")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "env": ["A=1"]}""", "env")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "env": {"A B": "1"}}""", "env.A B")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "env": {"A": 1}}""", "env.A")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "read_only": ["relative/path"]}""", "read_only")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "read_only": ["/"]}""", "read_only")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "read_only": ["/opt/../root"]}""", "read_only")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "limits": {"tmp_mb": 0}}""", "limits.tmp_mb")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "limits": {"memory_mb": 0}}""", "limits.memory_mb")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "limits": {"cpu_seconds": "60"}}""", "limits.cpu_seconds")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "limits": {"gpus": 1}}""", "limits.gpus")]
    [InlineData("""{"name": "demo", "evolve": ["a.py"], "evaluate": "x", "network": "yes"}""", "network")]
    [InlineData("""not json""", "dean.json")]
    [InlineData("""[1, 2]""", "dean.json")]
    public void A_wrong_field_is_named(string json, string field)
    {
        Assert.Null(TaskFile.Parse(json, out var errors));
        Assert.Contains(field, errors.Keys);
    }

    [Fact]
    public void The_shipped_samples_are_valid()
    {
        foreach (var sample in new[] { "function-minimization", "csharp-sorting" })
        {
            var task = TaskFile.Parse(File.ReadAllText(Path.Combine(TempDirectory.SamplesRoot, sample, "dean.json")), out var errors);
            Assert.True(task is not null, string.Join("; ", errors.SelectMany(e => e.Value)));
            Assert.Equal(sample, task.Name);
        }
    }

    [Theory]
    [InlineData("program.py", "program.py", true)]
    [InlineData("program.py", "src/program.py", false)]
    [InlineData("src/*.cs", "src/A.cs", true)]
    [InlineData("src/*.cs", "src/x/A.cs", false)]
    [InlineData("src/**/*.cs", "src/A.cs", true)]
    [InlineData("src/**/*.cs", "src/x/y/A.cs", true)]
    [InlineData("**/*.py", "a/b.py", true)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file?.txt", "file10.txt", false)]
    public void Globs_match_paths(string glob, string path, bool expected) => Assert.Equal(expected, Glob.IsMatch(glob, path));
}
