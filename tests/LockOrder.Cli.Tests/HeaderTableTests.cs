using System;
using System.Linq;
using LockOrder.Cli.Import;
using Xunit;

namespace LockOrder.Cli.Tests;

/// <summary>The comment-table reader: the kernel format's details, and malformed tables, each an error at its line.</summary>
public class HeaderTableTests
{
    private const string File = "locks.h";

    // Tab stops every 8: "Lock" at column 4, "Protects" at 33, "Initialization fn" at 65 (1-based).
    private const string Head = "struct s { int x; };\n/*\n * Lock\t\t\t\tProtects\t\t\tInitialization fn\n * =====================\n";

    private static HeaderTable Parse(string text) => HeaderTable.Parse(File, CSource.Parse(text));

    private static (string Name, string Protects, string Init)[] Rows(string text)
        => Parse(text).Rows.Select(r => (r.Name, r.Protects, r.Init)).ToArray();

    [Fact]
    public void Continuations_GoToTheColumnTheyAreAlignedWith()
    {
        var rows = Rows(Head
            + " * a->lock\t\ta->x\t\t\tinit_a\n"
            + " *\t\t\t\t->y\n"                       // under protects
            + " *\t\t\t\t\t\t\t\tinit_a2\n"              // under init
            + " *\t\t\t\t->z\t\t\t\tinit_a3\n"          // both
            + " * b_lock\t\t\t\t\t\t\tinit_b\n"        // a row with init but no protects
            + " * c_lock\t\tonly protects text\n"
            + " */\n");

        Assert.Equal(new[] { ("a->lock", "a->x, ->y, ->z", "init_a, init_a2, init_a3"), ("b_lock", "", "init_b"), ("c_lock", "only protects text", "") }, rows);
    }

    [Fact]
    public void AWrappedName_AndANameWithARemark_AndSpacesAsSeparators()
    {
        var rows = Rows("/*\n * lock/protects/init function\n"
            + " * Server_Info->    Server_Info     get_session\n"
            + " * reconnect_mutex\n"
            + " * inode->i_rwsem, taken first by the VFS\n"
            + " * d->lock  list one,  init_d\n"
            + " *          list two;\n"
            + " *          more of it\n"
            + " */\n");

        Assert.Equal(new[]
        {
            ("Server_Info->reconnect_mutex", "Server_Info", "get_session"),
            ("inode->i_rwsem", "taken first by the VFS", ""),
            ("d->lock", "list one, list two; more of it", "init_d"),
        }, rows);
    }

    [Fact]
    public void TheTableEndsAtABlankLineOrARuleOrTheCommentsEnd()
    {
        Assert.Equal(new[] { "a_lock" }, Rows(Head + " * a_lock\n *\n * not_a_row\n */\n").Select(r => r.Name));
        Assert.Equal(new[] { "a_lock" }, Rows(Head + " * a_lock\n ***********/\nint not_a_row;\n").Select(r => r.Name));
        Assert.Equal(new[] { "a_lock", "b_lock" }, Rows(Head + " * a_lock\n * b_lock */\n").Select(r => r.Name));
    }

    [Fact]
    public void RowsKeepTheirLines()
    {
        var table = Parse(Head + " * a_lock\n *\t\t\t\tmore\n * b_lock\n */\n");

        Assert.Equal(3, table.HeaderLine);
        Assert.Equal(new[] { 5, 7 }, table.Rows.Select(r => r.Line));
    }

    [Theory]
    // No table at all; a comment about lock ordering without one.
    [InlineData("int x;\n/* just a comment */\n", 1, "no lock-ordering table found")]
    [InlineData("int x;\n\n/*\n * LOCK ORDERING NOTES: take a before b.\n */\n", 4, "this comment is about lock ordering but has no table")]
    // An unterminated comment, at the line where it opens: the table's own, or one that may hide it.
    [InlineData("int x;\n/*\n * Lock\t\tProtects\t\tInitialization fn\n * a_lock\n", 2, "the comment that opens here is not closed")]
    [InlineData("int x;\nint y;\n/* open\n * a lock table that never ends\n", 3, "the comment that opens here is not closed")]
    // A continuation line with no row before it.
    [InlineData(Head + " *\t\t\t\t->x\n * a_lock\n */\n", 5, "a continuation line with no row before it: '->x'")]
    // Rows without a name.
    [InlineData(Head + " * a_lock\t\ta->x\n * ->credits\t\tinit\n */\n", 6, "a row without a lock name: '->credits'")]
    [InlineData(Head + " * (anything else)\t\tx\n */\n", 5, "a row without a lock name: '(anything else)'")]
    // Columns that cannot be split.
    [InlineData(Head + " * a_lock\n * b_lock protects init_b\n */\n", 6, "cannot split the columns of 'b_lock protects init_b'")]
    [InlineData(Head + " * a_lock\t\tx\t\ty\t\tz\n */\n", 5, "this line has 4 cells and a row has at most 3")]
    [InlineData(Head + " * a_lock\t\tx\n *\t\t\t\tp\t\tq\t\tr\n */\n", 6, "this line has 3 cells and a continuation line holds at most 2")]
    [InlineData(Head + " * a_lock\t\t\tx\n *   y\n */\n", 6, "cannot tell which column 'y' belongs to: it starts at column 6, nearer the lock column (4) than the protects column (33)")]
    [InlineData("/*\n * lock/protects/init function\n * a_lock\n *\t\t\t\ty\n */\n", 4, "cannot tell which column 'y' belongs to: the column header is not aligned")]
    // A wrapped name the next line does not finish; the same lock twice; no rows.
    [InlineData(Head + " * Server_Info->\t\tx\n *\t\t\t\ty\n */\n", 5, "the lock name 'Server_Info->' is cut off")]
    [InlineData(Head + " * a_lock\n * b_lock\n * a_lock\n */\n", 7, "the lock 'a_lock' is listed twice (lines 5 and 7)")]
    [InlineData(Head + " *\n */\n", 3, "the lock-ordering table under this column header has no rows")]
    public void AMalformedTable_IsAnError_AtItsLine(string text, int line, string message)
    {
        var e = Assert.Throws<ImportException>(() => Parse(text));

        Assert.Equal(File, e.File);
        Assert.Equal(line, e.Line);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{File}:{line}: error: ", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void CrLfLineEndings_ReadTheSame()
    {
        var text = Head + " * a->lock\t\ta->x\t\t\tinit_a\n *\t\t\t\t->y\n */\n";

        Assert.Equal(Rows(text), Rows(text.Replace("\n", "\r\n", StringComparison.Ordinal)));
    }
}
