using System;
using System.Collections.Generic;
using System.Drawing;
using System.Globalization;
using System.Linq;
using GraphShape.Algorithms.Layout;
using QuikGraph;
using Svg;
using Svg.DataTypes;
using Svg.Pathing;

namespace LockOrder.Cli.Graph;

/// <summary>
/// SVG, laid out and written by libraries, with no Graphviz binary: a machine with only the .NET SDK can run it.
/// Microsoft's MSAGL (NuGet AutomaticGraphLayout and AutomaticGraphLayout.Drawing, which has an SVG writer) was the
/// first choice, but the package source this repository restores from does not serve it (NU1101). So:
/// <list type="bullet">
/// <item>GraphShape 1.2.1 (MS-PL, managed, on QuikGraph's graph structures) lays the graph out with its Sugiyama
/// (layered) algorithm, the one Graphviz's dot uses: the declared spine runs top to bottom in table order, and an
/// edge against it (a forbidden one) goes back up;</item>
/// <item>Svg.Custom 5.2.3 (MIT, svg-net's SVG object model without System.Drawing's native parts) builds the document
/// as SVG elements (rectangles, paths, markers, text, titles) and serialises it: no SVG is written by hand.</item>
/// </list>
/// Every node and every edge is a group whose <c>&lt;title&gt;</c> is its tooltip: for an edge, its kind and witness.
/// Labels use a monospace font so that their width, which sizes the boxes, is known without measuring text.
/// </summary>
public static class SvgWriter
{
    private const float FontSize = 12;
    private const float CharWidth = FontSize * 0.62f;
    private const float NodeHeight = 40;
    private const float Margin = 20;
    private const float ParallelGap = 7;

    public static string Write(LockGraph graph)
    {
        var layout = Layout(graph);
        var legend = Legend(graph);
        var (minX, minY, maxX, maxY) = Bounds(graph, layout);
        float legendHeight = legend.Height;
        float width = Math.Max(maxX - minX, legend.Width) + 2 * Margin;
        float height = maxY - minY + legendHeight + 2 * Margin;
        float dx = Margin - minX;
        float dy = Margin + legendHeight - minY;

        var document = new SvgDocument
        {
            Width = new SvgUnit(SvgUnitType.Pixel, width),
            Height = new SvgUnit(SvgUnitType.Pixel, height),
            ViewBox = new SvgViewBox(0, 0, width, height),
            FontFamily = "monospace",
            FontSize = new SvgUnit(FontSize),
        };
        document.Children.Add(new SvgTitle { Content = "lockorder graph " + graph.Source });
        var definitions = new SvgDefinitionList();
        foreach (var kind in Enum.GetValues<EdgeKind>())
        {
            definitions.Children.Add(Arrow(kind));
        }

        document.Children.Add(definitions);
        document.Children.Add(new SvgRectangle { X = 0, Y = 0, Width = width, Height = height, Fill = Colour("#ffffff") });
        document.Children.Add(legend.Draw(Margin, Margin));

        var edges = new SvgGroup();
        Classed(edges, "edges");
        foreach (var edge in graph.Edges)
        {
            edges.Children.Add(DrawEdge(graph, edge, layout, dx, dy));
        }

        var nodes = new SvgGroup();
        Classed(nodes, "nodes");
        foreach (var node in graph.Nodes)
        {
            nodes.Children.Add(DrawNode(node, layout.Centers[node.Id], layout.Sizes[node.Id], dx, dy));
        }

        document.Children.Add(edges);
        document.Children.Add(nodes);
        return document.GetXML();
    }

    /// <summary>Where GraphShape puts each node (its centre) and each edge's bends.</summary>
    private sealed record Placement(Dictionary<string, PointF> Centers, Dictionary<string, SizeF> Sizes, Dictionary<GraphEdge, PointF[]> Routes);

    private sealed class LayoutEdge : IEdge<GraphNode>
    {
        public LayoutEdge(GraphNode source, GraphNode target, GraphEdge edge)
        {
            Source = source;
            Target = target;
            Edge = edge;
        }

        public GraphNode Source { get; }

        public GraphNode Target { get; }

        public GraphEdge Edge { get; }
    }

    private static Placement Layout(LockGraph graph)
    {
        var layoutGraph = new BidirectionalGraph<GraphNode, LayoutEdge>(allowParallelEdges: true);
        layoutGraph.AddVertexRange(graph.Nodes);
        var layoutEdges = graph.Edges.Select(e => new LayoutEdge(graph.Node(e.From), graph.Node(e.To), e)).ToList();
        layoutGraph.AddEdgeRange(layoutEdges);

        var sizes = graph.Nodes.ToDictionary(n => n.Id, n => new SizeF(Math.Max(n.Name.Length, n.Detail.Length) * CharWidth + 24, NodeHeight), StringComparer.Ordinal);
        var centers = new Dictionary<string, PointF>(StringComparer.Ordinal);
        var routes = new Dictionary<GraphEdge, PointF[]>();
        if (graph.Nodes.Count == 0)
        {
            return new Placement(centers, sizes, routes);
        }

        var algorithm = new SugiyamaLayoutAlgorithm<GraphNode, LayoutEdge, BidirectionalGraph<GraphNode, LayoutEdge>>(
            layoutGraph,
            graph.Nodes.ToDictionary(n => n, n => new GraphShape.Size(sizes[n.Id].Width, sizes[n.Id].Height)),
            new SugiyamaLayoutParameters
            {
                Direction = LayoutDirection.TopToBottom,
                LayerGap = 46,
                SliceGap = 28,
                EdgeRouting = SugiyamaEdgeRouting.Traditional,
                MinimizeEdgeLength = true,
                OptimizeWidth = false,
            });
        algorithm.Compute();
        foreach (var (node, position) in algorithm.VerticesPositions)
        {
            centers[node.Id] = new PointF((float)position.X, (float)position.Y);
        }

        foreach (var edge in layoutEdges)
        {
            routes[edge.Edge] = algorithm.EdgeRoutes.TryGetValue(edge, out var bends) && bends is not null
                ? bends.Select(p => new PointF((float)p.X, (float)p.Y)).ToArray()
                : Array.Empty<PointF>();
        }

        return new Placement(centers, sizes, routes);
    }

    private static (float MinX, float MinY, float MaxX, float MaxY) Bounds(LockGraph graph, Placement layout)
    {
        if (graph.Nodes.Count == 0)
        {
            return (0, 0, 0, 0);
        }

        var boxes = graph.Nodes.Select(n => (C: layout.Centers[n.Id], S: layout.Sizes[n.Id])).ToList();
        var bends = layout.Routes.Values.SelectMany(r => r).ToList();
        float minX = Math.Min(boxes.Min(b => b.C.X - b.S.Width / 2), bends.Count == 0 ? float.MaxValue : bends.Min(p => p.X));
        float maxX = Math.Max(boxes.Max(b => b.C.X + b.S.Width / 2), bends.Count == 0 ? float.MinValue : bends.Max(p => p.X));
        float minY = boxes.Min(b => b.C.Y - b.S.Height / 2);
        float maxY = boxes.Max(b => b.C.Y + b.S.Height / 2);
        return (minX - ParallelGap * 2, minY, maxX + ParallelGap * 2, maxY);
    }

    private static SvgGroup DrawNode(GraphNode node, PointF center, SizeF size, float dx, float dy)
    {
        var style = Styles.Of(node.Kind);
        var group = new SvgGroup();
        Classed(group, "node " + style.Name + (node.IsDeclared || node.IsCall ? "" : " unlisted"));
        group.Children.Add(new SvgTitle { Content = node.Name + " (" + node.Detail + ")" });
        float x = center.X + dx - size.Width / 2;
        float y = center.Y + dy - size.Height / 2;
        SvgVisualElement shape = node.IsCall
            ? new SvgEllipse { CenterX = center.X + dx, CenterY = center.Y + dy, RadiusX = size.Width / 2, RadiusY = size.Height / 2 }
            : new SvgRectangle { X = x, Y = y, Width = size.Width, Height = size.Height, CornerRadiusX = node.Kind == NodeKind.Spinlock ? 0 : 8, CornerRadiusY = node.Kind == NodeKind.Spinlock ? 0 : 8 };
        shape.Fill = Colour(style.Fill);
        shape.Stroke = Colour(style.Stroke);
        shape.StrokeWidth = 1.4f;
        if (!node.IsDeclared && !node.IsCall)
        {
            shape.StrokeDashArray = Dashes(Styles.UnlistedDash);
        }

        group.Children.Add(shape);
        group.Children.Add(Text(node.Name, center.X + dx, center.Y + dy - 3, "#000000", FontSize, SvgTextAnchor.Middle));
        group.Children.Add(Text(node.Detail, center.X + dx, center.Y + dy + 12, "#555555", FontSize - 2, SvgTextAnchor.Middle));
        return group;
    }

    private static SvgGroup DrawEdge(LockGraph graph, GraphEdge edge, Placement layout, float dx, float dy)
    {
        var style = Styles.Of(edge.Kind);
        var group = new SvgGroup();
        Classed(group, "edge " + style.Name);
        group.Children.Add(new SvgTitle { Content = edge.Describe(graph) });

        // Edges between one pair of nodes (a declared edge and an observed one, say) are drawn side by side.
        var siblings = graph.Edges.Where(e => SamePair(e, edge)).ToList();
        float offset = (siblings.IndexOf(edge) - (siblings.Count - 1) / 2f) * ParallelGap;

        var from = layout.Centers[edge.From];
        var to = layout.Centers[edge.To];
        var points = new List<PointF> { from };
        points.AddRange(layout.Routes[edge]);
        points.Add(to);
        points[0] = Border(from, layout.Sizes[edge.From], points[1]);
        points[^1] = Border(to, layout.Sizes[edge.To], points[^2]);
        var shifted = Shift(points, offset).Select(p => new PointF(p.X + dx, p.Y + dy)).ToList();

        var data = new SvgPathSegmentList();
        data.Add(new SvgMoveToSegment(false, shifted[0]));
        foreach (var point in shifted.Skip(1))
        {
            data.Add(new SvgLineSegment(false, point));
        }

        var path = new SvgPath
        {
            PathData = data,
            Fill = SvgPaintServer.None,
            Stroke = Colour(style.Color),
            StrokeWidth = (float)style.Width,
            MarkerEnd = new Uri("url(#arrow-" + style.Name + ")", UriKind.Relative),
        };
        if (style.DashArray is { } dashes)
        {
            path.StrokeDashArray = Dashes(dashes);
        }

        group.Children.Add(path);
        return group;
    }

    private static bool SamePair(GraphEdge a, GraphEdge b)
        => (a.From == b.From && a.To == b.To) || (a.From == b.To && a.To == b.From);

    /// <summary>Moves a polyline sideways by <paramref name="offset"/> (perpendicular to its first-to-last direction).</summary>
    private static IEnumerable<PointF> Shift(List<PointF> points, float offset)
    {
        if (offset == 0)
        {
            return points;
        }

        // The normal of the pair taken in one fixed order, so that edges in opposite directions separate too.
        var (a, b) = Compare(points[0], points[^1]) <= 0 ? (points[0], points[^1]) : (points[^1], points[0]);
        float vx = b.X - a.X, vy = b.Y - a.Y;
        float length = MathF.Max(1e-3f, MathF.Sqrt(vx * vx + vy * vy));
        float nx = -vy / length * offset, ny = vx / length * offset;
        return points.Select(p => new PointF(p.X + nx, p.Y + ny));
    }

    private static int Compare(PointF a, PointF b) => a.X != b.X ? a.X.CompareTo(b.X) : a.Y.CompareTo(b.Y);

    /// <summary>Where the segment from a node's centre towards <paramref name="toward"/> leaves its box.</summary>
    private static PointF Border(PointF center, SizeF size, PointF toward)
    {
        float vx = toward.X - center.X, vy = toward.Y - center.Y;
        if (vx == 0 && vy == 0)
        {
            return center;
        }

        float scale = 1 / MathF.Max(MathF.Abs(vx) / (size.Width / 2), MathF.Abs(vy) / (size.Height / 2));
        return new PointF(center.X + vx * Math.Min(scale, 1), center.Y + vy * Math.Min(scale, 1));
    }

    private static SvgMarker Arrow(EdgeKind kind)
    {
        var style = Styles.Of(kind);
        var marker = new SvgMarker
        {
            ID = "arrow-" + style.Name,
            ViewBox = new SvgViewBox(0, 0, 10, 10),
            RefX = 9,
            RefY = 5,
            MarkerWidth = 6,
            MarkerHeight = 6,
            MarkerUnits = SvgMarkerUnits.StrokeWidth,
            Orient = new SvgOrient { IsAuto = true },
        };
        var head = new SvgPathSegmentList();
        head.Add(new SvgMoveToSegment(false, new PointF(0, 0)));
        head.Add(new SvgLineSegment(false, new PointF(10, 5)));
        head.Add(new SvgLineSegment(false, new PointF(0, 10)));
        head.Add(new SvgClosePathSegment(false));
        marker.Children.Add(new SvgPath { PathData = head, Fill = Colour(style.Color) });
        return marker;
    }

    /// <summary>The key at the top: each edge kind's line and meaning, then the node kinds.</summary>
    private sealed record LegendBox(float Width, float Height, Func<float, float, SvgGroup> Draw);

    private static LegendBox Legend(LockGraph graph)
    {
        const float Line = 18;
        var title = "lockorder graph " + graph.Source;
        var rows = Enum.GetValues<EdgeKind>().Select(k => (Kind: k, Text: $"{Styles.Of(k).Name}: {Styles.Of(k).Legend} ({graph.OfKind(k).Count()})")).ToList();
        const string nodesText = "boxes: spinlocks (square), sleeping locks (rounded), unlisted locks (dashed); ovals: calls that may sleep";
        float width = Math.Max(Math.Max(title.Length, nodesText.Length) * CharWidth, rows.Max(r => r.Text.Length) * CharWidth + 50);
        float height = (rows.Count + 3) * Line + 10;
        return new LegendBox(width, height, (x, y) =>
        {
            var group = new SvgGroup();
            Classed(group, "legend");
            group.Children.Add(Text(title, x, y + Line - 4, "#000000", FontSize + 1, SvgTextAnchor.Start));
            for (int i = 0; i < rows.Count; i++)
            {
                var style = Styles.Of(rows[i].Kind);
                float rowY = y + (i + 2) * Line - 4;
                var data = new SvgPathSegmentList();
                data.Add(new SvgMoveToSegment(false, new PointF(x, rowY - 4)));
                data.Add(new SvgLineSegment(false, new PointF(x + 36, rowY - 4)));
                var sample = new SvgPath { PathData = data, Stroke = Colour(style.Color), StrokeWidth = (float)style.Width, Fill = SvgPaintServer.None, MarkerEnd = new Uri("url(#arrow-" + style.Name + ")", UriKind.Relative) };
                if (style.DashArray is { } dashes)
                {
                    sample.StrokeDashArray = Dashes(dashes);
                }

                group.Children.Add(sample);
                group.Children.Add(Text(rows[i].Text, x + 46, rowY, "#333333", FontSize - 1, SvgTextAnchor.Start));
            }

            group.Children.Add(Text(nodesText, x, y + (rows.Count + 2) * Line - 4, "#333333", FontSize - 1, SvgTextAnchor.Start));
            return group;
        });
    }

    private static SvgText Text(string content, float x, float y, string colour, float size, SvgTextAnchor anchor)
        => new(content)
        {
            X = new SvgUnitCollection { new SvgUnit(x) },
            Y = new SvgUnitCollection { new SvgUnit(y) },
            TextAnchor = anchor,
            Fill = Colour(colour),
            FontSize = new SvgUnit(size),
        };

    private static void Classed(SvgElement element, string classes) => element.CustomAttributes["class"] = classes;

    private static SvgColourServer Colour(string hex)
        => new(Color.FromArgb(255, int.Parse(hex.AsSpan(1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            int.Parse(hex.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture), int.Parse(hex.AsSpan(5, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)));

    private static SvgUnitCollection Dashes(string dashes)
    {
        var units = new SvgUnitCollection();
        foreach (var part in dashes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            units.Add(new SvgUnit(float.Parse(part, CultureInfo.InvariantCulture)));
        }

        return units;
    }
}
