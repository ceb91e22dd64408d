using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LockOrder.Cli.Import;

/// <summary>Reads and writes lockorder.json with System.Text.Json, in the repository file's layout: one line per
/// top-level entry of the side lists, and per lock row its name and kind on the first line, then one field a line.</summary>
internal static class TableJson
{
    /// <summary>The row fields in the order they are written; any other field follows in the order it had.</summary>
    public static readonly string[] RowFieldOrder = { "name", "kind", "symbol", "protects", "init", "nestable", "header", "note" };

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Parses an existing lockorder.json (comments and trailing commas allowed, as the analyzer allows).
    /// Throws <see cref="ImportException"/> with the line of a syntax error.</summary>
    public static JsonObject Read(string file, string text, out bool hadComments)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: Lenient);
        }
        catch (JsonException e)
        {
            var message = e.Message;
            int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message.Substring(0, cut);
            }

            throw new ImportException(file, (int)(e.LineNumber ?? 0) + 1, $"not valid JSON ({message.TrimEnd('.', ' ')}); fix it, or write to another file with -o");
        }

        if (root is not JsonObject obj)
        {
            throw new ImportException(file, 1, "not a lock table: the document must be an object with a 'locks' array");
        }

        try
        {
            using var strict = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true });
            hadComments = false;
        }
        catch (JsonException)
        {
            hadComments = true;
        }

        return obj;
    }

    public static string Write(JsonObject root)
    {
        var text = new StringBuilder("{\n");
        var props = root.ToList();
        for (int i = 0; i < props.Count; i++)
        {
            var (name, value) = props[i];
            text.Append("  ").Append(Quote(name)).Append(": ");
            if (name == "locks" && value is JsonArray locks)
            {
                WriteList(text, locks, row => Row(row));
            }
            else if (value is JsonArray list)
            {
                WriteList(text, list, Inline);
            }
            else
            {
                text.Append(Inline(value));
            }

            text.Append(i + 1 < props.Count ? ",\n" : "\n");
        }

        return text.Append("}\n").ToString();
    }

    private static void WriteList(StringBuilder text, JsonArray list, Func<JsonNode?, string> item)
    {
        if (list.Count == 0)
        {
            text.Append("[]");
            return;
        }

        text.Append("[\n");
        for (int i = 0; i < list.Count; i++)
        {
            text.Append("    ").Append(item(list[i])).Append(i + 1 < list.Count ? ",\n" : "\n");
        }

        text.Append("  ]");
    }

    /// <summary>A lock row: <c>{ "name": ..., "kind": ...,</c> then each further field on its own line.</summary>
    private static string Row(JsonNode? node)
    {
        if (node is not JsonObject row)
        {
            return Inline(node);
        }

        var fields = row.OrderBy(p => Array.IndexOf(RowFieldOrder, p.Key) is int k && k >= 0 ? k : RowFieldOrder.Length).ToList();
        var first = fields.TakeWhile(p => p.Key is "name" or "kind").ToList();
        if (first.Count == 0)
        {
            first = fields.Take(1).ToList();
        }

        var text = new StringBuilder("{ ");
        text.Append(string.Join(", ", first.Select(p => Quote(p.Key) + ": " + Inline(p.Value))));
        foreach (var (key, value) in fields.Skip(first.Count))
        {
            text.Append(",\n      ").Append(Quote(key)).Append(": ").Append(Inline(value));
        }

        return text.Append(" }").ToString();
    }

    private static string Inline(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject obj => obj.Count == 0 ? "{}" : "{ " + string.Join(", ", obj.Select(p => Quote(p.Key) + ": " + Inline(p.Value))) + " }",
        JsonArray arr => arr.Count == 0 ? "[]" : "[ " + string.Join(", ", arr.Select(Inline)) + " ]",
        _ => node.ToJsonString(Compact),
    };

    private static string Quote(string name) => JsonSerializer.Serialize(name, Compact);
}
