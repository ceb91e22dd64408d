using System.IO;
using System.Text;
using System.Text.Json;

namespace LockOrder.Cli.Graph;

/// <summary>JSON for tools: the nodes, then the edges with their kind and witness (file, line, chain, where the held
/// lock was taken). docs/graph.md gives the shape.</summary>
public static class JsonWriter
{
    public static string Write(LockGraph graph)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("source", graph.Source);
            json.WriteStartArray("tables");
            foreach (var table in graph.Tables)
            {
                json.WriteStringValue(table);
            }

            json.WriteEndArray();
            json.WriteStartArray("nodes");
            foreach (var node in graph.Nodes)
            {
                json.WriteStartObject();
                json.WriteString("id", node.Id);
                json.WriteString("name", node.Name);
                json.WriteString("kind", Styles.Of(node.Kind).Name);
                if (node.Row is { } row)
                {
                    json.WriteNumber("row", row);
                }
                else
                {
                    json.WriteNull("row");
                }

                json.WriteBoolean("declared", node.IsDeclared);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("edges");
            foreach (var edge in graph.Edges)
            {
                json.WriteStartObject();
                json.WriteString("from", edge.From);
                json.WriteString("to", edge.To);
                json.WriteString("kind", Styles.Of(edge.Kind).Name);
                json.WriteBoolean("inCycle", edge.InCycle);
                json.WriteStartObject("witness");
                json.WriteString("file", edge.Witness.File);
                json.WriteNumber("line", edge.Witness.Line);
                json.WriteString("chain", edge.Witness.Chain);
                if (edge.Witness.HeldAt is { } held)
                {
                    json.WriteString("heldAt", held);
                }
                else
                {
                    json.WriteNull("heldAt");
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
