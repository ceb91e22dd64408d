using System;

namespace LockOrder.Cli.Import;

/// <summary>Bad input (a malformed header table, an unreadable lockorder.json): a located, one-line message for
/// the user, printed as <c>file:line: error: message</c>; never a stack trace.</summary>
internal sealed class ImportException : Exception
{
    public ImportException(string file, int line, string message)
        : base(message)
    {
        File = file;
        Line = line;
    }

    public string File { get; }

    /// <summary>1-based; 0 when the problem has no line (a file that cannot be read at all).</summary>
    public int Line { get; }

    public override string ToString() => Line > 0 ? $"{File}:{Line}: error: {Message}" : $"{File}: error: {Message}";
}
