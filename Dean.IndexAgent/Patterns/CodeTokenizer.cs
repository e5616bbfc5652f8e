namespace Dean.IndexAgent.Patterns;

public enum TokenKind
{
    Word,
    Number,
    String,
    Symbol,
}

/// <summary>A lexical token of one source line. <see cref="Start"/> is its offset in the line.</summary>
public readonly record struct CodeToken(TokenKind Kind, string Text, int Start)
{
    public bool IsLiteral => Kind is TokenKind.Number or TokenKind.String;

    /// <summary>The token with its literal value folded to a placeholder.</summary>
    public string Folded => Kind switch
    {
        TokenKind.Number => DiffNormalizer.NumberPlaceholder,
        TokenKind.String => DiffNormalizer.StringPlaceholder,
        _ => Text,
    };
}

/// <summary>
/// A language-agnostic line lexer for C-family and Python-like code: words, numbers (decimal, real, exponent, hex,
/// type suffixes), quoted strings with backslash escapes, and operators (common two- and three-character ones kept
/// whole). It is only precise enough to fold whitespace and literals consistently.
/// </summary>
public static class CodeTokenizer
{
    private static readonly string[] MultiCharSymbols =
    [
        "**=", "//=", "<<=", ">>=", "...", "===", "!==", "??=",
        "==", "!=", "<=", ">=", "&&", "||", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
        "->", "=>", "::", "**", "//", "<<", ">>", "??", ":=",
    ];

    public static IReadOnlyList<CodeToken> Tokenize(string line)
    {
        var tokens = new List<CodeToken>();
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var start = i;
            if (char.IsLetter(c) || c == '_')
            {
                while (i < line.Length && (char.IsLetterOrDigit(line[i]) || line[i] == '_')) i++;
                tokens.Add(new CodeToken(TokenKind.Word, line[start..i], start));
            }
            else if (char.IsDigit(c) || (c == '.' && i + 1 < line.Length && char.IsDigit(line[i + 1]) && !FollowsOperand(tokens)))
            {
                i = ScanNumber(line, i);
                tokens.Add(new CodeToken(TokenKind.Number, line[start..i], start));
            }
            else if ((c is '"' or '\'') && TryScanString(line, i, out var end))
            {
                i = end;
                tokens.Add(new CodeToken(TokenKind.String, line[start..i], start));
            }
            else
            {
                var symbol = MultiCharSymbols.FirstOrDefault(s => string.CompareOrdinal(line, i, s, 0, s.Length) == 0) ?? c.ToString();
                i += symbol.Length;
                tokens.Add(new CodeToken(TokenKind.Symbol, symbol, start));
            }
        }
        return tokens;
    }

    // "a.5" is member access in no language we care about, but "x[0].5" or ").5" would be; only a leading dot after an operator or start starts a number.
    private static bool FollowsOperand(List<CodeToken> tokens) =>
        tokens.Count > 0 && (tokens[^1].Kind is TokenKind.Word or TokenKind.Number or TokenKind.String || tokens[^1].Text is ")" or "]");

    private static int ScanNumber(string line, int i)
    {
        if (line[i] == '0' && i + 1 < line.Length && line[i + 1] is 'x' or 'X' or 'b' or 'B')
        {
            i += 2;
            while (i < line.Length && (Uri.IsHexDigit(line[i]) || line[i] == '_')) i++;
        }
        else
        {
            while (i < line.Length && (char.IsDigit(line[i]) || line[i] == '_')) i++;
            if (i + 1 < line.Length && line[i] == '.' && char.IsDigit(line[i + 1]))
            {
                i++;
                while (i < line.Length && (char.IsDigit(line[i]) || line[i] == '_')) i++;
            }
            else if (i < line.Length && line[i] == '.' && (i + 1 == line.Length || !char.IsLetter(line[i + 1]) && line[i + 1] != '.' && line[i + 1] != '_'))
            {
                i++; // "1." is a real literal; "1.ToString()" and "1..5" are not.
            }
            if (i < line.Length && line[i] is 'e' or 'E')
            {
                var j = i + 1;
                if (j < line.Length && line[j] is '+' or '-') j++;
                if (j < line.Length && char.IsDigit(line[j]))
                {
                    i = j;
                    while (i < line.Length && char.IsDigit(line[i])) i++;
                }
            }
        }
        while (i < line.Length && line[i] is 'f' or 'F' or 'd' or 'D' or 'm' or 'M' or 'l' or 'L' or 'u' or 'U' or 'j' or 'J') i++;
        return i;
    }

    private static bool TryScanString(string line, int i, out int end)
    {
        var quote = line[i];
        var j = i + 1;
        while (j < line.Length)
        {
            if (line[j] == '\\') j += 2;
            else if (line[j] == quote) { end = j + 1; return true; }
            else j++;
        }
        end = i;
        return false; // An unterminated quote (an apostrophe in a comment) is just a symbol.
    }
}
