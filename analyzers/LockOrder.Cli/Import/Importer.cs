using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;

namespace LockOrder.Cli.Import;

/// <summary>What an import produced: the JSON to write, and what to tell the user (one line each, for stderr).</summary>
internal sealed record ImportResult(string Json, IReadOnlyList<string> Messages, int Rows, int KindsMissing);

/// <summary>
/// <c>lockorder import</c> without the file system: reads a header's lock-ordering table, infers each row's kind
/// from the header's declarations, and merges the result into an existing lockorder.json when there is one.
/// </summary>
internal static class Importer
{
    public static ImportResult Import(string headerFile, string headerText, string outputFile, string? existingText)
    {
        var source = CSource.Parse(headerText);
        var table = HeaderTable.Parse(headerFile, source);
        var declarations = LockDeclarations.Find(source);
        var messages = new List<string>();

        JsonObject root;
        var existing = new List<JsonObject>();
        if (existingText is null)
        {
            root = new JsonObject { ["locks"] = new JsonArray() };
        }
        else
        {
            root = TableJson.Read(outputFile, existingText, out bool hadComments);
            if (hadComments)
            {
                messages.Add($"{outputFile}: warning: its comments are not kept (the rewritten file is plain JSON)");
            }

            existing = ExistingRows(outputFile, root);
        }

        var byName = existing.ToDictionary(r => Name(r), StringComparer.Ordinal);
        var headerNames = new HashSet<string>(table.Rows.Select(r => r.Name), StringComparer.Ordinal);

        // Rows only the existing file has stay, after the row they followed there.
        var extrasAfter = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        var extrasFirst = new List<JsonObject>();
        string? anchor = null;
        foreach (var row in existing)
        {
            var name = Name(row);
            if (headerNames.Contains(name))
            {
                anchor = name;
                continue;
            }

            if (anchor is null)
            {
                extrasFirst.Add(row);
            }
            else
            {
                if (!extrasAfter.TryGetValue(anchor, out var list))
                {
                    extrasAfter[anchor] = list = new List<JsonObject>();
                }

                list.Add(row);
            }
        }

        var merged = new List<JsonObject>(extrasFirst.Select(r => (JsonObject)r.DeepClone()));
        int missing = 0;
        foreach (var headerRow in table.Rows)
        {
            int rowNumber = merged.Count + 1;
            var inferred = declarations.Infer(headerRow.Name);
            JsonObject row;
            if (byName.TryGetValue(headerRow.Name, out var old))
            {
                row = (JsonObject)old.DeepClone();
                ReportHeaderChange(messages, outputFile, rowNumber, headerRow, old);
            }
            else
            {
                row = new JsonObject { ["name"] = headerRow.Name };
                if (existingText is not null)
                {
                    messages.Add($"{headerFile}:{headerRow.Line}: note: row {rowNumber} '{headerRow.Name}' is new (not in {outputFile})");
                }
            }

            var kept = row["kind"] is JsonValue v && v.TryGetValue(out string? k) ? k : null;
            if (kept is null && inferred.Kind is not null)
            {
                row["kind"] = inferred.Kind;
            }
            else if (kept is not null && inferred.Kind is not null && kept != inferred.Kind)
            {
                messages.Add($"{headerFile}:{headerRow.Line}: warning: row {rowNumber} '{headerRow.Name}': {outputFile} says kind '{kept}' but {inferred.Explanation}; kept '{kept}'");
            }
            else if (kept is null)
            {
                missing++;
                messages.Add($"{headerFile}:{headerRow.Line}: warning: row {rowNumber} '{headerRow.Name}': kind not inferred: {inferred.Explanation}; fill in \"kind\" by hand (spinlock, mutex, rwsem or semaphore): until then the analyzer reports LOCK101 for the row and leaves it out");
            }

            row["header"] = new JsonObject { ["protects"] = headerRow.Protects, ["init"] = headerRow.Init };
            merged.Add(row);

            if (extrasAfter.TryGetValue(headerRow.Name, out var extras))
            {
                merged.AddRange(extras.Select(r => (JsonObject)r.DeepClone()));
            }
        }

        foreach (var extra in extrasFirst.Concat(extrasAfter.Values.SelectMany(l => l)))
        {
            int at = merged.FindIndex(r => Name(r) == Name(extra));
            var after = at == 0 ? "at the top" : $"after '{Name(merged[at - 1])}'";
            messages.Add($"{outputFile}: warning: row '{Name(extra)}' is not in {headerFile}; kept it {after} (now row {at + 1})");
        }

        ReportMoves(messages, headerFile, outputFile, existing.Select(Name).ToList(), table.Rows);

        var rebuilt = new JsonObject();
        foreach (var (key, value) in root.ToList())
        {
            root.Remove(key);
            rebuilt[key] = key == "locks" ? new JsonArray(merged.Select(r => (JsonNode)Ordered(r)).ToArray()) : value;
        }

        if (!rebuilt.ContainsKey("locks"))
        {
            rebuilt["locks"] = new JsonArray(merged.Select(r => (JsonNode)Ordered(r)).ToArray());
        }

        return new ImportResult(TableJson.Write(rebuilt), messages, merged.Count, missing);
    }

    private static List<JsonObject> ExistingRows(string file, JsonObject root)
    {
        var rows = new List<JsonObject>();
        if (!root.TryGetPropertyValue("locks", out var locks) || locks is null)
        {
            return rows;
        }

        if (locks is not JsonArray array)
        {
            throw new ImportException(file, 0, "'locks' must be an array of lock rows");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject row || row["name"] is not JsonValue v || !v.TryGetValue(out string? name) || string.IsNullOrWhiteSpace(name))
            {
                throw new ImportException(file, 0, $"row {i + 1} of 'locks' has no name, so it cannot be matched with the header; fix or remove it first");
            }

            if (!names.Add(name))
            {
                throw new ImportException(file, 0, $"the lock '{name}' is listed twice in 'locks'; remove one first");
            }

            rows.Add(row);
        }

        return rows;
    }

    private static string Name(JsonObject row) => row["name"]!.GetValue<string>();

    private static JsonObject Ordered(JsonObject row)
    {
        var ordered = new JsonObject();
        foreach (var (key, value) in row.OrderBy(p => Array.IndexOf(TableJson.RowFieldOrder, p.Key) is int k && k >= 0 ? k : TableJson.RowFieldOrder.Length).ToList())
        {
            row.Remove(key);
            ordered[key] = value;
        }

        return ordered;
    }

    private static void ReportHeaderChange(List<string> messages, string outputFile, int rowNumber, HeaderRow headerRow, JsonObject old)
    {
        if (old["header"] is not JsonObject before)
        {
            return;
        }

        foreach (var (column, now) in new[] { ("protects", headerRow.Protects), ("init", headerRow.Init) })
        {
            var was = before[column] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
            if (was is not null && was != now)
            {
                messages.Add($"{outputFile}: note: row {rowNumber} '{headerRow.Name}': header {column} changed from '{was}' to '{now}'");
            }
        }
    }

    /// <summary>Rows both files have whose order differs: those off the longest run the two orders share (so one
    /// row moved is one report, not one for every row it jumped).</summary>
    private static void ReportMoves(List<string> messages, string headerFile, string outputFile, List<string> oldOrder, IReadOnlyList<HeaderRow> rows)
    {
        var newIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < rows.Count; i++)
        {
            newIndex[rows[i].Name] = i;
        }

        var common = oldOrder.Where(newIndex.ContainsKey).ToList();
        var stay = LongestIncreasing(common.Select(n => newIndex[n]).ToList()).Select(i => common[i]).ToHashSet(StringComparer.Ordinal);
        var newCommon = rows.Select(r => r.Name).Where(n => common.Contains(n)).ToList();
        foreach (var name in newCommon.Where(n => !stay.Contains(n)))
        {
            var row = rows[newIndex[name]];
            int was = common.IndexOf(name), now = newCommon.IndexOf(name);
            string Neighbour(List<string> order, int i) => i == 0 ? "at the top" : $"after '{order[i - 1]}'";
            messages.Add($"{headerFile}:{row.Line}: warning: order changed: '{name}' was {Neighbour(common, was)} in {outputFile} and is {Neighbour(newCommon, now)} in {headerFile}; the header's order is written");
        }
    }

    /// <summary>Indices of one longest strictly increasing subsequence.</summary>
    private static List<int> LongestIncreasing(List<int> values)
    {
        var length = new int[values.Count];
        var previous = new int[values.Count];
        int best = -1;
        for (int i = 0; i < values.Count; i++)
        {
            length[i] = 1;
            previous[i] = -1;
            for (int j = 0; j < i; j++)
            {
                if (values[j] < values[i] && length[j] + 1 > length[i])
                {
                    length[i] = length[j] + 1;
                    previous[i] = j;
                }
            }

            if (best < 0 || length[i] > length[best])
            {
                best = i;
            }
        }

        var result = new List<int>();
        for (int i = best; i >= 0; i = previous[i])
        {
            result.Add(i);
        }

        result.Reverse();
        return result;
    }
}
