using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace SampleCache.Kernel;

/// <summary>One row of <c>lockorder.json</c>: a lock class and its place in the declared order.</summary>
public sealed class LockOrderRow
{
    public LockOrderRow(string name, int row, string kind, bool nestable, IReadOnlyList<string> symbols)
    {
        Name = name;
        Row = row;
        Kind = kind;
        Nestable = nestable;
        Symbols = symbols;
    }

    /// <summary>The row's name, e.g. <c>cached_fid->fid_lock</c>; also the name of the <see cref="LockClass"/>.</summary>
    public string Name { get; }

    /// <summary>The row number, from 1: a lower row is taken first.</summary>
    public int Row { get; }

    /// <summary><c>spinlock</c>, <c>mutex</c>, <c>rwsem</c> or <c>semaphore</c>.</summary>
    public string Kind { get; }

    /// <summary>Two instances of the class may be held together (lockdep's <c>_nested</c> annotation).</summary>
    public bool Nestable { get; }

    /// <summary>The fully qualified C# members holding locks of this row (the table's <c>symbol</c>).</summary>
    public IReadOnlyList<string> Symbols { get; }

    public override string ToString() => $"{Name} (row {Row})";
}

/// <summary>
/// The declared lock hierarchy of <c>lockorder.json</c>, as the run-time <see cref="LockValidator"/>
/// reads it: the rows of <c>locks</c> in order (the rest of the file is the static analyzer's business).
/// </summary>
public sealed class LockOrderTable
{
    private readonly Dictionary<string, LockOrderRow> _byName;

    private LockOrderTable(IReadOnlyList<LockOrderRow> rows)
    {
        Rows = rows;
        _byName = new Dictionary<string, LockOrderRow>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            _byName.TryAdd(row.Name, row);
        }
    }

    public IReadOnlyList<LockOrderRow> Rows { get; }

    /// <summary>The row named <paramref name="name"/>, or null when the table does not list it.</summary>
    public LockOrderRow? Find(string name) => _byName.TryGetValue(name, out var row) ? row : null;

    /// <summary>Reads a <c>lockorder.json</c> file.</summary>
    public static LockOrderTable Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>Parses the text of a <c>lockorder.json</c> (comments and trailing commas allowed, as for the analyzer).</summary>
    public static LockOrderTable Parse(string json)
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        using var document = JsonDocument.Parse(json, options);
        if (!document.RootElement.TryGetProperty("locks", out var locks) || locks.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("lockorder.json has no 'locks' array");
        }

        var rows = new List<LockOrderRow>();
        foreach (var entry in locks.EnumerateArray())
        {
            string name = entry.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                ? n.GetString()!
                : throw new FormatException($"row {rows.Count + 1} of lockorder.json has no name");
            string kind = entry.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : "mutex";
            bool nestable = entry.TryGetProperty("nestable", out var nest) && nest.ValueKind == JsonValueKind.True;
            var symbols = new List<string>();
            if (entry.TryGetProperty("symbol", out var symbol))
            {
                if (symbol.ValueKind == JsonValueKind.String)
                {
                    symbols.Add(symbol.GetString()!);
                }
                else if (symbol.ValueKind == JsonValueKind.Array)
                {
                    foreach (var s in symbol.EnumerateArray())
                    {
                        if (s.ValueKind == JsonValueKind.String)
                        {
                            symbols.Add(s.GetString()!);
                        }
                    }
                }
            }

            rows.Add(new LockOrderRow(name, rows.Count + 1, kind, nestable, symbols));
        }

        return new LockOrderTable(rows);
    }
}
