using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis.Text;

namespace LockOrder.Hierarchy;

/// <summary>
/// Reads lockorder.json into a <see cref="LockTable"/>. Never throws: every problem becomes a located
/// <see cref="TableProblem"/>, and whatever rows are still usable are kept.
/// </summary>
internal static class LockTableLoader
{
    public const string FileName = "lockorder.json";

    private static readonly string[] TopLevelFields = { "$schema", "locks", "primitives", "blocking", "invokes", "frees" };
    private static readonly string[] LockFields = { "name", "kind", "symbol", "protects", "init", "note", "nestable", "header" };
    private static readonly string[] HeaderFields = { "protects", "init" };
    private static readonly string[] PrimitiveFields = { "type", "kind", "acquire", "release", "tryAcquire", "reentrant" };

    /// <summary>
    /// The table a text holds, read once for as long as the text lives. In the IDE every keystroke makes a new
    /// compilation, while the table file's text stays the same object until the file changes; reading it again for
    /// each compilation cost a keystroke in proportion to the table's size (a 10,000-entry table: 8 MB and 11 to
    /// 87 ms on each keystroke). A table holds text only, never symbols, so one serves every compilation.
    /// </summary>
    public static LockTable For(SourceText text) => Tables.GetValue(text, t => Load(t.ToString()));

    private static readonly ConditionalWeakTable<SourceText, LockTable> Tables = new();

    public static LockTable Load(string text)
    {
        var problems = ImmutableArray.CreateBuilder<TableProblem>();
        var root = JsonReader.Parse(text, out var syntaxError);
        if (root is null)
        {
            var at = syntaxError!.Position;
            problems.Add(new TableProblem(Descriptors.TableUnreadable, new TextSpan(at, at < text.Length ? 1 : 0), syntaxError.Message));
            return Unusable(problems);
        }

        if (root.Kind != JsonKind.Object)
        {
            problems.Add(new TableProblem(Descriptors.TableUnreadable, root.Span, $"the document must be an object with a 'locks' array, not {root.KindName}"));
            return Unusable(problems);
        }

        var fields = Fields(root, TopLevelFields, "the top level", problems);
        if (!fields.TryGetValue("locks", out var locksNode))
        {
            problems.Add(new TableProblem(Descriptors.TableInvalidField, new TextSpan(root.Span.Start, 1), "the required field 'locks' is missing"));
            return Unusable(problems);
        }

        if (locksNode.Value.Kind != JsonKind.Array)
        {
            problems.Add(WrongType(locksNode, "an array of lock objects"));
            return Unusable(problems);
        }

        var locks = ReadLocks(locksNode.Value, problems);
        var primitives = fields.TryGetValue("primitives", out var primNode) ? ReadPrimitives(primNode, problems) : ImmutableArray<PrimitiveDecl>.Empty;
        var blocking = fields.TryGetValue("blocking", out var blockNode) ? ReadStrings(blockNode, "a method name", problems, allowSingle: false) : ImmutableArray<Located>.Empty;
        ReportDuplicates(blocking, "blocking entry", problems);
        var invokes = fields.TryGetValue("invokes", out var invokesNode) ? ReadStrings(invokesNode, "a method name", problems, allowSingle: false) : ImmutableArray<Located>.Empty;
        ReportDuplicates(invokes, "invokes entry", problems);
        var frees = fields.TryGetValue("frees", out var freesNode) ? ReadStrings(freesNode, "a method name", problems, allowSingle: false) : ImmutableArray<Located>.Empty;
        ReportDuplicates(frees, "frees entry", problems);
        if (fields.TryGetValue("$schema", out var schema) && schema.Value.Kind != JsonKind.String)
        {
            problems.Add(WrongType(schema, "a string"));
        }

        ReportVacuousOrders(locks, problems);
        return new LockTable(locks, primitives, blocking, problems.ToImmutable(), usable: true, invokes, frees);
    }

    private static LockTable Unusable(ImmutableArray<TableProblem>.Builder problems)
        => new(ImmutableArray<LockDecl>.Empty, ImmutableArray<PrimitiveDecl>.Empty, ImmutableArray<Located>.Empty, problems.ToImmutable(), usable: false);

    private static ImmutableArray<LockDecl> ReadLocks(JsonNode array, ImmutableArray<TableProblem>.Builder problems)
    {
        var result = ImmutableArray.CreateBuilder<LockDecl>();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var symbols = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < array.Items.Count; i++)
        {
            int row = i + 1;
            var item = array.Items[i];
            if (item.Kind != JsonKind.Object)
            {
                problems.Add(new TableProblem(Descriptors.TableInvalidField, item.Span, $"row {row} must be an object with 'name' and 'kind', not {item.KindName}"));
                continue;
            }

            var f = Fields(item, LockFields, $"row {row}", problems);
            var name = RequiredString(item, f, "name", $"row {row}", problems);
            var kind = RequiredKind(item, f, $"row {row}", problems);
            if (name is null || kind is null)
            {
                continue;
            }

            if (names.TryGetValue(name.Value.Value, out int firstRow))
            {
                problems.Add(new TableProblem(Descriptors.TableDuplicate, name.Value.Span, $"the lock '{name.Value.Value}' is listed twice (rows {firstRow} and {row}); each lock has one place in the order"));
                continue;
            }

            names.Add(name.Value.Value, row);
            var symbolList = f.TryGetValue("symbol", out var s) ? ReadStrings(s, "a fully qualified member or type name", problems, allowSingle: true) : ImmutableArray<Located>.Empty;
            var kept = ImmutableArray.CreateBuilder<Located>();
            foreach (var sym in symbolList)
            {
                if (symbols.TryGetValue(sym.Value, out int boundRow))
                {
                    problems.Add(new TableProblem(Descriptors.TableDuplicate, sym.Span, $"the symbol '{sym.Value}' is bound twice (rows {boundRow} and {row}); a lock object belongs to one row"));
                    continue;
                }

                symbols.Add(sym.Value, row);
                kept.Add(sym);
            }

            result.Add(new LockDecl(name.Value.Value, row, kind.Value, name.Value.Span)
            {
                RowSpan = item.Span,
                Symbols = kept.ToImmutable(),
                Protects = f.TryGetValue("protects", out var p) ? ReadStrings(p, "a fully qualified member name", problems, allowSingle: false) : ImmutableArray<Located>.Empty,
                Init = f.TryGetValue("init", out var ini) ? ReadStrings(ini, "a fully qualified method name", problems, allowSingle: true) : ImmutableArray<Located>.Empty,
                Note = f.TryGetValue("note", out var n) ? OptionalString(n, problems) : null,
                Nestable = f.TryGetValue("nestable", out var nest) && OptionalBool(nest, problems),
                Header = f.TryGetValue("header", out var h) ? ReadHeader(h, $"row {row}", problems) : null,
            });
        }

        return result.ToImmutable();
    }

    private static ImmutableArray<PrimitiveDecl> ReadPrimitives(JsonProperty prop, ImmutableArray<TableProblem>.Builder problems)
    {
        if (prop.Value.Kind != JsonKind.Array)
        {
            problems.Add(WrongType(prop, "an array of primitive objects"));
            return ImmutableArray<PrimitiveDecl>.Empty;
        }

        var result = ImmutableArray.CreateBuilder<PrimitiveDecl>();
        var types = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < prop.Value.Items.Count; i++)
        {
            var item = prop.Value.Items[i];
            string where = $"primitive {i + 1}";
            if (item.Kind != JsonKind.Object)
            {
                problems.Add(new TableProblem(Descriptors.TableInvalidField, item.Span, $"{where} must be an object with 'type', 'kind', 'acquire' and 'release', not {item.KindName}"));
                continue;
            }

            var f = Fields(item, PrimitiveFields, where, problems);
            var type = RequiredString(item, f, "type", where, problems);
            var kind = RequiredKind(item, f, where, problems);
            var acquire = RequiredStrings(item, f, "acquire", where, problems);
            var release = RequiredStrings(item, f, "release", where, problems);
            if (type is null || kind is null || acquire.IsDefault || release.IsDefault)
            {
                continue;
            }

            if (!types.Add(type.Value.Value))
            {
                problems.Add(new TableProblem(Descriptors.TableDuplicate, type.Value.Span, $"the primitive type '{type.Value.Value}' is declared twice"));
                continue;
            }

            result.Add(new PrimitiveDecl(type.Value, kind.Value)
            {
                Acquire = acquire,
                Release = release,
                TryAcquire = f.TryGetValue("tryAcquire", out var t) ? ReadStrings(t, "a method name", problems, allowSingle: true) : ImmutableArray<Located>.Empty,
                Reentrant = f.TryGetValue("reentrant", out var r) && OptionalBool(r, problems),
            });
        }

        return result.ToImmutable();
    }

    private static Dictionary<string, JsonProperty> Fields(JsonNode obj, string[] known, string where, ImmutableArray<TableProblem>.Builder problems)
    {
        var result = new Dictionary<string, JsonProperty>(StringComparer.Ordinal);
        foreach (var prop in obj.Properties)
        {
            if (Array.IndexOf(known, prop.Name) < 0)
            {
                problems.Add(new TableProblem(Descriptors.TableInvalidField, prop.NameSpan, $"unknown field '{prop.Name}' in {where}; known fields are {string.Join(", ", known.Select(k => "'" + k + "'"))}"));
                continue;
            }

            if (result.ContainsKey(prop.Name))
            {
                problems.Add(new TableProblem(Descriptors.TableDuplicate, prop.NameSpan, $"the field '{prop.Name}' appears twice in {where}; only the first is used"));
                continue;
            }

            result.Add(prop.Name, prop);
        }

        return result;
    }

    private static Located? RequiredString(JsonNode obj, Dictionary<string, JsonProperty> f, string field, string where, ImmutableArray<TableProblem>.Builder problems)
    {
        if (!f.TryGetValue(field, out var prop))
        {
            problems.Add(new TableProblem(Descriptors.TableInvalidField, new TextSpan(obj.Span.Start, 1), $"{where} has no '{field}'"));
            return null;
        }

        if (prop.Value.Kind != JsonKind.String || string.IsNullOrWhiteSpace(prop.Value.StringValue))
        {
            problems.Add(WrongType(prop, "a non-empty string"));
            return null;
        }

        return new Located(prop.Value.StringValue!, prop.Value.Span);
    }

    private static LockKind? RequiredKind(JsonNode obj, Dictionary<string, JsonProperty> f, string where, ImmutableArray<TableProblem>.Builder problems)
    {
        var text = RequiredString(obj, f, "kind", where, problems);
        if (text is null)
        {
            return null;
        }

        if (!LockKindNames.TryParse(text.Value.Value, out var kind))
        {
            problems.Add(new TableProblem(Descriptors.TableInvalidField, text.Value.Span, $"unknown kind '{text.Value.Value}' in {where}; use 'spinlock', 'mutex', 'rwsem' or 'semaphore'"));
            return null;
        }

        return kind;
    }

    private static ImmutableArray<Located> RequiredStrings(JsonNode obj, Dictionary<string, JsonProperty> f, string field, string where, ImmutableArray<TableProblem>.Builder problems)
    {
        if (!f.TryGetValue(field, out var prop))
        {
            problems.Add(new TableProblem(Descriptors.TableInvalidField, new TextSpan(obj.Span.Start, 1), $"{where} has no '{field}'"));
            return default;
        }

        var list = ReadStrings(prop, "a method name", problems, allowSingle: true);
        return list.IsEmpty ? default : list;
    }

    private static ImmutableArray<Located> ReadStrings(JsonProperty prop, string what, ImmutableArray<TableProblem>.Builder problems, bool allowSingle)
    {
        var node = prop.Value;
        if (allowSingle && node.Kind == JsonKind.String)
        {
            if (string.IsNullOrWhiteSpace(node.StringValue))
            {
                problems.Add(WrongType(prop, what));
                return ImmutableArray<Located>.Empty;
            }

            return ImmutableArray.Create(new Located(node.StringValue!, node.Span));
        }

        if (node.Kind != JsonKind.Array)
        {
            problems.Add(WrongType(prop, allowSingle ? $"{what} or an array of them" : $"an array of strings ({what} each)"));
            return ImmutableArray<Located>.Empty;
        }

        var result = ImmutableArray.CreateBuilder<Located>();
        foreach (var item in node.Items)
        {
            if (item.Kind != JsonKind.String || string.IsNullOrWhiteSpace(item.StringValue))
            {
                problems.Add(new TableProblem(Descriptors.TableInvalidField, item.Span, $"'{prop.Name}' holds {item.KindName} where {what} (a non-empty string) is expected"));
                continue;
            }

            result.Add(new Located(item.StringValue!, item.Span));
        }

        return result.ToImmutable();
    }

    /// <summary>A row's "header": the C header's own columns for the lock, as text (lockorder import writes them).</summary>
    private static HeaderText? ReadHeader(JsonProperty prop, string where, ImmutableArray<TableProblem>.Builder problems)
    {
        if (prop.Value.Kind != JsonKind.Object)
        {
            problems.Add(WrongType(prop, "an object with the header's 'protects' and 'init' text"));
            return null;
        }

        var f = Fields(prop.Value, HeaderFields, $"the header of {where}", problems);
        return new HeaderText(
            f.TryGetValue("protects", out var p) ? OptionalString(p, problems) : null,
            f.TryGetValue("init", out var i) ? OptionalString(i, problems) : null);
    }

    private static string? OptionalString(JsonProperty prop, ImmutableArray<TableProblem>.Builder problems)
    {
        if (prop.Value.Kind != JsonKind.String)
        {
            problems.Add(WrongType(prop, "a string"));
            return null;
        }

        return prop.Value.StringValue;
    }

    private static bool OptionalBool(JsonProperty prop, ImmutableArray<TableProblem>.Builder problems)
    {
        switch (prop.Value.Kind)
        {
            case JsonKind.True: return true;
            case JsonKind.False: return false;
            default:
                problems.Add(WrongType(prop, "true or false"));
                return false;
        }
    }

    private static TableProblem WrongType(JsonProperty prop, string expected)
        => new(Descriptors.TableInvalidField, prop.Value.Span, $"'{prop.Name}' must be {expected}, not {prop.Value.KindName}");

    private static void ReportDuplicates(ImmutableArray<Located> items, string what, ImmutableArray<TableProblem>.Builder problems)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (!seen.Add(item.Value))
            {
                problems.Add(new TableProblem(Descriptors.TableDuplicate, item.Span, $"the {what} '{item.Value}' is listed twice"));
            }
        }
    }

    private static void ReportVacuousOrders(ImmutableArray<LockDecl> locks, ImmutableArray<TableProblem>.Builder problems)
    {
        LockDecl? lowestSpinlockSoFar = null;
        foreach (var decl in locks)
        {
            if (decl.Kind == LockKind.Spinlock)
            {
                lowestSpinlockSoFar = decl;
            }
            else if (lowestSpinlockSoFar is not null)
            {
                problems.Add(new TableProblem(Descriptors.TableVacuousOrder, decl.NameSpan,
                    $"'{decl.Name}'", decl.Row, decl.Kind.Name(), $"'{lowestSpinlockSoFar.Name}'", lowestSpinlockSoFar.Row));
            }
        }
    }
}
