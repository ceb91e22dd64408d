using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace LockOrder.Cli.Graph;

/// <summary>A Mermaid flowchart: a node per lock or call (classDef per node kind), a link per edge with its witness
/// as a <c>%%</c> comment line before it, and one linkStyle per edge kind naming its links by index.</summary>
public static class MermaidWriter
{
    public static string Write(LockGraph graph)
    {
        var text = new StringBuilder();
        text.Append("%% lockorder graph ").Append(Comment(graph.Source)).Append('\n');
        text.Append("flowchart TB\n");
        foreach (var node in graph.Nodes)
        {
            var label = Label(node.Name) + "<br/>" + Label(node.Detail);
            text.Append("  ").Append(node.Id).Append(node.IsCall ? "([\"" : "[\"").Append(label).Append(node.IsCall ? "\"])" : "\"]").Append('\n');
        }

        var indexes = new Dictionary<EdgeKind, List<int>>();
        int index = 0;
        foreach (var edge in graph.Edges)
        {
            text.Append("  %% ").Append(Comment(edge.Describe(graph))).Append('\n');
            text.Append("  ").Append(edge.From).Append(edge.Kind == EdgeKind.Declared ? " -.- " : " --> ").Append(edge.To).Append('\n');
            if (!indexes.TryGetValue(edge.Kind, out var list))
            {
                indexes[edge.Kind] = list = new List<int>();
            }

            list.Add(index++);
        }

        foreach (var (kind, list) in indexes.OrderBy(p => p.Key))
        {
            var style = Styles.Of(kind);
            text.Append("  %% ").Append(style.Name).Append(": ").Append(style.Legend).Append('\n');
            text.Append("  linkStyle ").Append(string.Join(",", list.Select(i => i.ToString(CultureInfo.InvariantCulture))))
                .Append(" stroke:").Append(style.Color).Append(",stroke-width:").Append(style.Width.ToString("0.0", CultureInfo.InvariantCulture)).Append("px")
                .Append(style.DashArray is null ? "" : ",stroke-dasharray:" + style.DashArray).Append('\n');
        }

        foreach (var kind in graph.Nodes.Select(n => n.Kind).Distinct().OrderBy(k => k))
        {
            var style = Styles.Of(kind);
            text.Append("  classDef ").Append(style.Name).Append(" fill:").Append(style.Fill).Append(",stroke:").Append(style.Stroke).Append('\n');
            text.Append("  class ").Append(string.Join(",", graph.Nodes.Where(n => n.Kind == kind).Select(n => n.Id))).Append(' ').Append(style.Name).Append('\n');
        }

        var unlisted = graph.Nodes.Where(n => !n.IsDeclared && !n.IsCall).Select(n => n.Id).ToList();
        if (unlisted.Count > 0)
        {
            text.Append("  classDef unlisted stroke-dasharray:").Append(Styles.UnlistedDash).Append('\n');
            text.Append("  class ").Append(string.Join(",", unlisted)).Append(" unlisted\n");
        }

        return text.ToString();
    }

    /// <summary>Text inside a quoted label: Mermaid's entity codes for the characters its parser reads.</summary>
    private static string Label(string value)
        => value.Replace("&", "#38;").Replace("\"", "#quot;").Replace("<", "#lt;").Replace(">", "#gt;");

    private static string Comment(string value) => value.Replace("\r", " ").Replace("\n", " ");
}
