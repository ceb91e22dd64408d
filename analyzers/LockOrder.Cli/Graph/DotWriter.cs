using System.Globalization;
using System.Linq;
using System.Text;

namespace LockOrder.Cli.Graph;

/// <summary>Graphviz DOT: one statement per node and per edge; each edge has its witness as a comment on the line
/// before it and as its tooltip, and its kind as its class (Graphviz's SVG output keeps both).</summary>
public static class DotWriter
{
    public static string Write(LockGraph graph)
    {
        var text = new StringBuilder();
        text.Append("// lockorder graph ").Append(graph.Source).Append('\n');
        foreach (var kind in System.Enum.GetValues<EdgeKind>())
        {
            var style = Styles.Of(kind);
            text.Append("// ").Append(style.Name).Append(" (").Append(style.Color).Append(' ').Append(style.DotStyle).Append("): ").Append(style.Legend).Append('\n');
        }

        text.Append("digraph lockorder {\n");
        text.Append("  rankdir=TB;\n");
        text.Append("  node [fontname=\"Helvetica\", fontsize=11, style=\"filled\"];\n");
        text.Append("  edge [fontname=\"Helvetica\", fontsize=9];\n");
        foreach (var node in graph.Nodes)
        {
            var style = Styles.Of(node.Kind);
            text.Append("  ").Append(node.Id).Append(" [label=").Append(Quote(node.Name + "\n" + node.Detail))
                .Append(", shape=").Append(style.DotShape)
                .Append(", style=").Append(Quote(node.IsDeclared || node.IsCall ? "filled" : "filled,dashed"))
                .Append(", fillcolor=").Append(Quote(style.Fill)).Append(", color=").Append(Quote(style.Stroke))
                .Append(", class=").Append(Quote(style.Name)).Append("];\n");
        }

        foreach (var edge in graph.Edges)
        {
            var style = Styles.Of(edge.Kind);
            var description = edge.Describe(graph);
            text.Append("  // ").Append(Comment(description)).Append('\n');
            text.Append("  ").Append(edge.From).Append(" -> ").Append(edge.To).Append(" [class=").Append(Quote(style.Name))
                .Append(", color=").Append(Quote(style.Color)).Append(", style=").Append(Quote(style.DotStyle))
                .Append(", penwidth=").Append(style.Width.ToString("0.0", CultureInfo.InvariantCulture))
                .Append(edge.Kind == EdgeKind.Declared ? ", weight=8, arrowhead=none" : "")
                .Append(", tooltip=").Append(Quote(description)).Append("];\n");
        }

        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>A DOT string: quotes and backslashes escaped, line breaks as \n.</summary>
    public static string Quote(string value)
        => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\r", "").Replace("\n", "\\n") + "\"";

    private static string Comment(string value) => value.Replace("\r", " ").Replace("\n", " ");
}
