using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace LockOrder.Cli.Import;

/// <summary>One row of a header's lock-ordering table: the lock and the text of its other two columns, whitespace
/// normalised, its lines joined (with ", ", or a space after a line that ends in ',' or ';').</summary>
internal sealed record HeaderRow(int Line, string Name, string Protects, string Init);

/// <summary>
/// The lock-ordering table of a C header, in the format of the Linux SMB client's <c>cifsglob.h</c>: a block
/// comment with a column header line (<c>Lock  Protects  Initialization fn</c>, or <c>lock/protects/init function</c>),
/// optional rule lines (<c>=====</c>), then one row per lock, in order:
/// <code>
///  * cifs_tcon->stat_lock		cifs_tcon->bytes_read		tconInfoAlloc
///  *				->bytes_written
///  * TCP_Server_Info->		TCP_Server_Info			cifs_get_tcp_session
///  * reconnect_mutex
///  * inode->i_rwsem, taken by netfs before the inode's own locks
/// </code>
/// Columns are separated by a tab or by two or more spaces. A line indented past the comment's <c>*</c> continues the
/// row above, in the column it is aligned with (tab stops every 8 columns). A lock name that ends in <c>-&gt;</c>
/// continues at the start of the next line. In a lock cell of the form <c>name, text</c> the text is the protects
/// column. The table ends at a blank comment line, a line of <c>*</c>, <c>=</c> or <c>-</c>, or the comment's end.
/// </summary>
internal sealed class HeaderTable
{
    private const int TabWidth = 8;
    private static readonly Regex ColumnHeader = new(@"^lock\s*(?:/|\s)\s*protects\s*(?:/|\s)\s*init", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    private static readonly Regex LockOrderingWords = new(@"lock(?:ing)?[\s-]+order|locking\s+notes", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    private static readonly Regex LockName = new(@"^[A-Za-z_][A-Za-z0-9_]*(?:(?:->|\.)[A-Za-z_][A-Za-z0-9_]*)*(?:->|\.)?", RegexOptions.CultureInvariant);
    private static readonly Regex NamePart = new(@"^[A-Za-z_][A-Za-z0-9_]*(?:(?:->|\.)[A-Za-z_][A-Za-z0-9_]*)*(?:->|\.)?$", RegexOptions.CultureInvariant);

    private HeaderTable(int headerLine, IReadOnlyList<HeaderRow> rows)
    {
        HeaderLine = headerLine;
        Rows = rows;
    }

    /// <summary>The line of the column header.</summary>
    public int HeaderLine { get; }

    public IReadOnlyList<HeaderRow> Rows { get; }

    /// <summary>Finds and reads the table. Throws <see cref="ImportException"/> (file and line) for a missing or malformed one.</summary>
    public static HeaderTable Parse(string file, CSource source)
    {
        foreach (var comment in source.Comments)
        {
            for (int n = comment.StartLine; n <= comment.EndLine; n++)
            {
                var line = CommentLine.Of(source, comment, n);
                if (ColumnHeader.IsMatch(line.Content.Trim()))
                {
                    if (!comment.Terminated)
                    {
                        throw Unterminated(file, comment);
                    }

                    return new Reader(file, source, comment, n, line).Read();
                }
            }
        }

        var open = source.Comments.FirstOrDefault(c => !c.Terminated);
        if (open is not null)
        {
            throw Unterminated(file, open);
        }

        foreach (var comment in source.Comments)
        {
            for (int n = comment.StartLine; n <= comment.EndLine; n++)
            {
                if (LockOrderingWords.IsMatch(source.Lines[n - 1]))
                {
                    throw new ImportException(file, n, "this comment is about lock ordering but has no table: no line names the columns 'Lock  Protects  Initialization fn' (or 'lock/protects/init function')");
                }
            }
        }

        throw new ImportException(file, 1, "no lock-ordering table found: no comment has a column header line naming lock, protects and init ('Lock  Protects  Initialization fn' or 'lock/protects/init function')");
    }

    private static ImportException Unterminated(string file, BlockComment comment)
        => new(file, comment.StartLine, "the comment that opens here is not closed: no '*/' before the end of the file");

    private enum Column { Protects, Init }

    /// <summary>A cell of a table line: its text and the display column (0-based, tabs expanded) it starts at.</summary>
    private readonly record struct Cell(string Text, int Col);

    /// <summary>One line of a comment with the comment markers and the leading <c> * </c> removed.</summary>
    private readonly struct CommentLine
    {
        private CommentLine(string raw, int start, int end)
        {
            Raw = raw;
            Start = start;
            End = end;
        }

        public string Raw { get; }
        public int Start { get; }
        public int End { get; }
        public string Content => Raw.Substring(Start, End - Start);

        /// <summary>Indented past the <c>*</c>: continues the row above.</summary>
        public bool Indented => End > Start && char.IsWhiteSpace(Raw[Start]);

        public bool Blank => Content.Trim().Length == 0;

        /// <summary>A line of '*', '=' or '-' (a rule, or the comment's closing line of stars).</summary>
        public bool Rule
        {
            get
            {
                var t = Content.Trim();
                return t.Length >= 3 && t.All(ch => ch is '*' or '=' or '-');
            }
        }

        public static CommentLine Of(CSource source, BlockComment comment, int n)
        {
            var raw = source.Lines[n - 1];
            int start = 0, end = raw.Length;
            if (n == comment.StartLine)
            {
                start = raw.IndexOf("/*", StringComparison.Ordinal) + 2;
            }

            if (n == comment.EndLine && comment.Terminated)
            {
                int close = raw.IndexOf("*/", start, StringComparison.Ordinal);
                if (close >= 0)
                {
                    end = close;
                }
            }

            int i = start;
            while (i < end && raw[i] is ' ' or '\t')
            {
                i++;
            }

            if (i < end && raw[i] == '*')
            {
                i++;
                if (i + 1 < end && raw[i] == ' ' && !char.IsWhiteSpace(raw[i + 1]))
                {
                    i++;
                }

                start = i;
            }

            return new CommentLine(raw, start, end);
        }

        /// <summary>Splits the content at tabs and at runs of two or more spaces.</summary>
        public List<Cell> Cells()
        {
            var cells = new List<Cell>();
            int i = Start;
            while (i < End)
            {
                while (i < End && char.IsWhiteSpace(Raw[i]))
                {
                    i++;
                }

                if (i >= End)
                {
                    break;
                }

                int begin = i;
                while (i < End)
                {
                    if (Raw[i] == '\t' || (Raw[i] == ' ' && (i + 1 >= End || char.IsWhiteSpace(Raw[i + 1]))))
                    {
                        break;
                    }

                    i++;
                }

                cells.Add(new Cell(Normalise(Raw.Substring(begin, i - begin)), DisplayColumn(Raw, begin)));
            }

            return cells;
        }
    }

    private static int DisplayColumn(string raw, int index)
    {
        int col = 0;
        for (int i = 0; i < index; i++)
        {
            col = raw[i] == '\t' ? (col / TabWidth + 1) * TabWidth : col + 1;
        }

        return col;
    }

    private static string Normalise(string text) => Regex.Replace(text.Trim(), @"\s+", " ");

    private static string Snippet(string text) => text.Length <= 40 ? text : text.Substring(0, 37) + "...";

    private sealed class RowBuilder
    {
        public RowBuilder(int line, string name)
        {
            Line = line;
            Name = name;
        }

        public int Line { get; }
        public string Name { get; set; }
        public bool NameIncomplete => Name.EndsWith("->", StringComparison.Ordinal) || Name.EndsWith('.');
        public List<string> Protects { get; } = new();
        public List<string> Init { get; } = new();
        public int? ProtectsCol { get; set; }
        public int? InitCol { get; set; }

        public HeaderRow Build() => new(Line, Name, Join(Protects), Join(Init));

        private static string Join(List<string> pieces)
        {
            var text = new StringBuilder();
            foreach (var piece in pieces)
            {
                if (text.Length > 0)
                {
                    text.Append(text[text.Length - 1] is ',' or ';' ? " " : ", ");
                }

                text.Append(piece);
            }

            return text.ToString();
        }
    }

    private sealed class Reader
    {
        private readonly string _file;
        private readonly CSource _source;
        private readonly BlockComment _comment;
        private readonly int _headerLine;
        private readonly int? _lockCol;
        private int? _protectsCol;
        private int? _initCol;

        public Reader(string file, CSource source, BlockComment comment, int headerLine, CommentLine header)
        {
            _file = file;
            _source = source;
            _comment = comment;
            _headerLine = headerLine;
            var cells = header.Cells();
            if (cells.Count == 3)
            {
                _lockCol = cells[0].Col;
                _protectsCol = cells[1].Col;
                _initCol = cells[2].Col;
            }
        }

        public HeaderTable Read()
        {
            var lines = new List<(int N, CommentLine Line)>();
            for (int n = _headerLine + 1; n <= _comment.EndLine; n++)
            {
                var line = CommentLine.Of(_source, _comment, n);
                if (line.Blank || line.Rule)
                {
                    if (lines.Count > 0)
                    {
                        break;
                    }

                    continue;
                }

                lines.Add((n, line));
            }

            if (lines.Count == 0)
            {
                throw new ImportException(_file, _headerLine, "the lock-ordering table under this column header has no rows");
            }

            if (_protectsCol is null || _initCol is null)
            {
                // A header without aligned columns ('lock/protects/init function'): take the first full row's.
                foreach (var (_, line) in lines)
                {
                    var cells = line.Cells();
                    if (!line.Indented && cells.Count == 3)
                    {
                        _protectsCol = cells[1].Col;
                        _initCol = cells[2].Col;
                        break;
                    }
                }
            }

            var rows = new List<RowBuilder>();
            RowBuilder? row = null;
            foreach (var (n, line) in lines)
            {
                var cells = line.Cells();
                if (line.Indented)
                {
                    Continuation(n, row, cells);
                    continue;
                }

                if (row is { NameIncomplete: true })
                {
                    if (cells.Count == 1 && NamePart.IsMatch(cells[0].Text))
                    {
                        row.Name += cells[0].Text;
                        continue;
                    }

                    throw NameCutOff(row, n);
                }

                row = NewRow(n, cells);
                rows.Add(row);
            }

            if (row is { NameIncomplete: true })
            {
                throw NameCutOff(row, row.Line + 1);
            }

            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var r in rows)
            {
                if (seen.TryGetValue(r.Name, out int first))
                {
                    throw new ImportException(_file, r.Line, $"the lock '{r.Name}' is listed twice (lines {first} and {r.Line}); each lock has one place in the order");
                }

                seen.Add(r.Name, r.Line);
            }

            return new HeaderTable(_headerLine, rows.Select(r => r.Build()).ToList());
        }

        private RowBuilder NewRow(int n, List<Cell> cells)
        {
            var first = cells[0].Text;
            var name = LockName.Match(first);
            if (!name.Success)
            {
                throw new ImportException(_file, n, $"a row without a lock name: '{Snippet(first)}' stands in the lock column (a line that continues the row above is indented with a tab)");
            }

            var row = new RowBuilder(n, name.Value);
            var rest = first.Substring(name.Length).Trim();
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(',') || row.NameIncomplete || cells.Count > 1)
                {
                    throw new ImportException(_file, n, $"cannot split the columns of '{Snippet(first)}': separate lock, protects and init function with a tab or at least two spaces");
                }

                // 'inode->i_rwsem, taken by ...': the remark stands for the protects column.
                row.Protects.Add(rest.Substring(1).Trim());
                return row;
            }

            if (cells.Count > 3)
            {
                throw TooManyColumns(n, cells.Count, "a row has at most 3 (lock, protects, init function)");
            }

            if (cells.Count == 3)
            {
                row.Protects.Add(cells[1].Text);
                row.ProtectsCol = cells[1].Col;
                row.Init.Add(cells[2].Text);
                row.InitCol = cells[2].Col;
            }
            else if (cells.Count == 2)
            {
                if (Nearest(n, cells[1], row, allowLockColumn: true) == Column.Init)
                {
                    row.Init.Add(cells[1].Text);
                    row.InitCol = cells[1].Col;
                }
                else
                {
                    row.Protects.Add(cells[1].Text);
                    row.ProtectsCol = cells[1].Col;
                }
            }

            return row;
        }

        private void Continuation(int n, RowBuilder? row, List<Cell> cells)
        {
            if (row is null)
            {
                throw new ImportException(_file, n, $"a continuation line with no row before it: '{Snippet(cells[0].Text)}' is indented, so it continues a row, but no lock row precedes it in the table");
            }

            if (row.NameIncomplete)
            {
                throw NameCutOff(row, n);
            }

            if (cells.Count > 2)
            {
                throw TooManyColumns(n, cells.Count, "a continuation line holds at most 2 (protects, init function)");
            }

            if (cells.Count == 2)
            {
                row.Protects.Add(cells[0].Text);
                row.Init.Add(cells[1].Text);
            }
            else if (Nearest(n, cells[0], row, allowLockColumn: false) == Column.Init)
            {
                row.Init.Add(cells[0].Text);
            }
            else
            {
                row.Protects.Add(cells[0].Text);
            }
        }

        /// <summary>The column a lone cell is aligned with: the row's own columns where its first line shows them,
        /// else the column header's.</summary>
        private Column Nearest(int n, Cell cell, RowBuilder row, bool allowLockColumn)
        {
            if (_protectsCol is null || _initCol is null)
            {
                throw new ImportException(_file, n, $"cannot tell which column '{Snippet(cell.Text)}' belongs to: the column header is not aligned and no row has all three columns to align with");
            }

            int protects = row.ProtectsCol ?? _protectsCol.Value;
            int init = row.InitCol ?? _initCol.Value;
            if (init <= protects)
            {
                (protects, init) = (_protectsCol.Value, _initCol.Value);
            }

            if (!allowLockColumn && _lockCol is int lockCol && Math.Abs(cell.Col - lockCol) < Math.Abs(cell.Col - protects))
            {
                throw new ImportException(_file, n, $"cannot tell which column '{Snippet(cell.Text)}' belongs to: it starts at column {cell.Col + 1}, nearer the lock column ({lockCol + 1}) than the protects column ({protects + 1}); indent it to the column it continues");
            }

            return Math.Abs(cell.Col - init) < Math.Abs(cell.Col - protects) ? Column.Init : Column.Protects;
        }

        private ImportException TooManyColumns(int n, int count, string rule)
            => new(_file, n, $"cannot split the columns: this line has {count} cells and {rule}; text within a column is separated by single spaces");

        private ImportException NameCutOff(RowBuilder row, int n)
            => new(_file, row.Line, $"the lock name '{row.Name}' is cut off: a name that ends in '{(row.Name.EndsWith('.') ? "." : "->")}' continues at the start of the next line, and line {n} does not continue it");
    }
}
