using Microsoft.ML.Tokenizers;

namespace Dean.IndexAgent.Operators;

/// <summary>o200k token counts: what an LLM would have billed for the same text.</summary>
public sealed class TokenCounter
{
    private readonly Tokenizer _tokenizer = TiktokenTokenizer.CreateForEncoding("o200k_base");

    public int Count(string? text) => string.IsNullOrEmpty(text) ? 0 : _tokenizer.CountTokens(text);
}
