using Dean.IndexAgent.Operators.Llm;

namespace Dean.Tests.IndexAgent;

public sealed class SearchReplaceTests
{
    [Fact]
    public void Blocks_with_paths_are_parsed_and_applied()
    {
        var answer = """
            Here is the change.
            program.py
            ```
            <<<<<<< SEARCH
                step = 2.0
            =======
                step = 2.5
            >>>>>>> REPLACE
            ```
            """;
        var blocks = SearchReplace.Parse(answer);
        var block = Assert.Single(blocks);
        Assert.Equal("program.py", block.Path);
        var files = new Dictionary<string, string> { ["program.py"] = "def f():\n    step = 2.0\n    return step\n", ["other.py"] = "x" };
        var changed = SearchReplace.Apply(files, blocks, out var error);
        Assert.Null(error);
        Assert.Equal("def f():\n    step = 2.5\n    return step\n", Assert.Single(changed).Value);
    }

    [Fact]
    public void Trailing_whitespace_differences_still_match()
    {
        var blocks = SearchReplace.Parse("<<<<<<< SEARCH\na = 1   \nb = 2\n=======\na = 3\n>>>>>>> REPLACE\n");
        var changed = SearchReplace.Apply(new Dictionary<string, string> { ["x.py"] = "a = 1\nb = 2\nc = 3\n" }, blocks, out var error);
        Assert.Null(error);
        Assert.Equal("a = 3\nc = 3\n", changed["x.py"]);
    }

    [Fact]
    public void A_block_that_matches_nothing_is_an_error()
    {
        var blocks = SearchReplace.Parse("x.py\n<<<<<<< SEARCH\nnot there\n=======\ny\n>>>>>>> REPLACE");
        var changed = SearchReplace.Apply(new Dictionary<string, string> { ["x.py"] = "a\n" }, blocks, out var error);
        Assert.Empty(changed);
        Assert.Contains("not found", error);
    }

    [Fact]
    public void Unterminated_blocks_are_ignored()
    {
        Assert.Empty(SearchReplace.Parse("<<<<<<< SEARCH\na\n=======\nb\n"));
    }
}
