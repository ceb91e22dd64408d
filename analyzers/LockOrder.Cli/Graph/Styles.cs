using System.Collections.Generic;

namespace LockOrder.Cli.Graph;

/// <summary>How an edge kind is drawn: one definition for DOT, Mermaid and SVG.</summary>
/// <param name="Name">The kind as the formats name it (JSON's "kind", DOT's class, Mermaid's comment).</param>
/// <param name="Color">Stroke colour.</param>
/// <param name="Width">Stroke width in pixels (DOT's penwidth).</param>
/// <param name="DashArray">SVG and Mermaid stroke-dasharray; null for a solid line.</param>
/// <param name="DotStyle">DOT's style: solid, dashed, dotted or bold.</param>
public sealed record EdgeStyle(string Name, string Color, double Width, string? DashArray, string DotStyle, string Legend);

/// <summary>How a node kind is drawn.</summary>
public sealed record NodeStyle(string Name, string Fill, string Stroke, string DotShape);

/// <summary>The styles of every kind of edge and node.</summary>
public static class Styles
{
    private static readonly Dictionary<EdgeKind, EdgeStyle> Edges = new()
    {
        [EdgeKind.Declared] = new("declared", "#9e9e9e", 1.2, "2 4", "dotted", "declared order (table row i before row i+1)"),
        [EdgeKind.Ordinary] = new("ordinary", "#37474f", 1.4, null, "solid", "taken while held, in an order nothing reports"),
        [EdgeKind.Forbidden] = new("forbidden", "#d32f2f", 2.6, null, "bold", "forbidden by the table (LOCK001)"),
        [EdgeKind.Cycle] = new("cycle", "#ef6c00", 2.6, "10 4", "bold,dashed", "part of a lock-order cycle (LOCK008)"),
        [EdgeKind.Sleep] = new("sleep", "#7b1fa2", 2.0, "6 3", "dashed", "may sleep under a spinlock (LOCK002)"),
    };

    private static readonly Dictionary<NodeKind, NodeStyle> Nodes = new()
    {
        [NodeKind.Spinlock] = new("spinlock", "#e3f2fd", "#1565c0", "box"),
        [NodeKind.Mutex] = new("mutex", "#e8f5e9", "#2e7d32", "box"),
        [NodeKind.RwSem] = new("rwsem", "#e8f5e9", "#2e7d32", "box"),
        [NodeKind.Semaphore] = new("semaphore", "#e8f5e9", "#2e7d32", "box"),
        [NodeKind.Call] = new("call", "#fff8e1", "#7b1fa2", "ellipse"),
    };

    public static EdgeStyle Of(EdgeKind kind) => Edges[kind];

    public static NodeStyle Of(NodeKind kind) => Nodes[kind];

    /// <summary>Unlisted locks are drawn with a dashed border.</summary>
    public const string UnlistedDash = "4 3";
}
