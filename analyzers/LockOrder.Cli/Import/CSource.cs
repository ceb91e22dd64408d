using System.Collections.Generic;
using System.Text;

namespace LockOrder.Cli.Import;

/// <summary>A C source file split once into its block comments (where the lock table lives) and its code with
/// every comment and string literal blanked (where the lock declarations are), line structure kept.</summary>
internal sealed class CSource
{
    private CSource(string[] lines, List<BlockComment> comments, string code)
    {
        Lines = lines;
        Comments = comments;
        Code = code;
    }

    /// <summary>The file's lines, without their line terminators; line n is <c>Lines[n - 1]</c>.</summary>
    public string[] Lines { get; }

    public IReadOnlyList<BlockComment> Comments { get; }

    /// <summary>The text with comments and string and character literals replaced by spaces (newlines kept).</summary>
    public string Code { get; }

    public static CSource Parse(string text)
    {
        text = text.Replace("\r\n", "\n", System.StringComparison.Ordinal).Replace('\r', '\n');
        var comments = new List<BlockComment>();
        var code = new StringBuilder(text.Length);
        int line = 1;
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            char next = i + 1 < text.Length ? text[i + 1] : '\0';
            if (c == '/' && next == '*')
            {
                int startLine = line;
                int end = text.IndexOf("*/", i + 2, System.StringComparison.Ordinal);
                int stop = end < 0 ? text.Length : end + 2;
                for (int k = i; k < stop; k++)
                {
                    if (text[k] == '\n')
                    {
                        line++;
                        code.Append('\n');
                    }
                    else
                    {
                        code.Append(' ');
                    }
                }

                comments.Add(new BlockComment(startLine, line, end >= 0));
                i = stop;
            }
            else if (c == '/' && next == '/')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    code.Append(' ');
                    i++;
                }
            }
            else if (c == '"' || c == '\'')
            {
                code.Append(' ');
                i++;
                while (i < text.Length && text[i] != c && text[i] != '\n')
                {
                    if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] != '\n')
                    {
                        code.Append(' ');
                        i++;
                    }

                    code.Append(' ');
                    i++;
                }

                if (i < text.Length && text[i] == c)
                {
                    code.Append(' ');
                    i++;
                }
            }
            else
            {
                if (c == '\n')
                {
                    line++;
                }

                code.Append(c);
                i++;
            }
        }

        return new CSource(text.Split('\n'), comments, code.ToString());
    }
}

/// <summary>A <c>/* ... */</c> comment: the lines it spans (1-based, inclusive), and whether it is closed.</summary>
internal sealed record BlockComment(int StartLine, int EndLine, bool Terminated);
