using Dean.IndexAgent.Operators;

namespace Dean.Tests.IndexAgent;

public sealed class EvolveScopeTests
{
    private const string Blocked = "header\n# EVOLVE-BLOCK-START\na = 1\nb = 2\n# EVOLVE-BLOCK-END\nfooter\n";
    private readonly EvolveScope _scope = new(["program.py", "lib/*.py"]);

    [Fact]
    public void Markers_delimit_the_editable_lines()
    {
        var ranges = EvolveBlocks.EditableRanges(Blocked.Split('\n'));
        Assert.Equal([new LineRange(2, 4)], ranges);
        Assert.Equal([new LineRange(0, 2)], EvolveBlocks.EditableRanges("x\ny\n".Split('\n')));
        Assert.Null(EvolveBlocks.EditableRanges("# EVOLVE-BLOCK-START\nx\n".Split('\n')));
        Assert.Null(EvolveBlocks.EditableRanges("# EVOLVE-BLOCK-END\nx\n".Split('\n')));
    }

    [Fact]
    public void An_edit_inside_the_block_is_allowed()
    {
        var after = Blocked.Replace("a = 1", "a = 3").Replace("b = 2\n", "b = 2\nc = 4\n");
        Assert.Null(_scope.Check(new Dictionary<string, string> { ["program.py"] = Blocked }, new Dictionary<string, string> { ["program.py"] = after }));
    }

    [Theory]
    [InlineData("header", "HEADER")]
    [InlineData("footer", "footer2")]
    [InlineData("# EVOLVE-BLOCK-END\n", "")]
    [InlineData("# EVOLVE-BLOCK-START\n", "# EVOLVE-BLOCK-START\n# EVOLVE-BLOCK-END\n# EVOLVE-BLOCK-START\n")]
    public void An_edit_outside_the_block_or_of_the_markers_is_refused(string from, string to)
    {
        var reason = _scope.Check(new Dictionary<string, string> { ["program.py"] = Blocked },
            new Dictionary<string, string> { ["program.py"] = Blocked.Replace(from, to) });
        Assert.NotNull(reason);
        Assert.StartsWith("refused", reason);
    }

    [Theory]
    [InlineData("evaluate.py")]
    [InlineData("dean.json")]
    [InlineData("../program.py")]
    [InlineData("/etc/passwd")]
    [InlineData("lib/sub/x.py")]
    public void Files_outside_the_scope_are_refused(string path)
    {
        var reason = _scope.Check(new Dictionary<string, string>(), new Dictionary<string, string> { [path] = "anything" });
        Assert.NotNull(reason);
    }

    [Fact]
    public void A_file_without_markers_is_editable_throughout()
    {
        Assert.Null(_scope.Check(new Dictionary<string, string> { ["lib/a.py"] = "x = 1\n" }, new Dictionary<string, string> { ["lib/a.py"] = "x = 2\ny = 3\n" }));
    }
}
