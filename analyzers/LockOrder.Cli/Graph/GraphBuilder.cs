using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using LockOrder.Engine.Queries;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;

namespace LockOrder.Cli.Graph;

/// <summary>Turns the engine's lock graph of each compilation (<see cref="Engine.Queries.LockGraph.Of"/>) into one
/// graph to write: nodes merged by key across projects (a table row by its name, an unlisted lock by its symbol, a
/// call by its name), one witness per edge and kind (the first by file, line and chain), paths relative to a base
/// directory.</summary>
internal static class GraphBuilder
{
    public static LockGraph Build(string source, string baseDirectory, IEnumerable<LockGraphFacts> graphs, IEnumerable<string> tables)
    {
        var facts = graphs.ToList();
        var nodes = facts.SelectMany(g => g.Nodes)
            .GroupBy(n => n.Key, StringComparer.Ordinal).Select(g => g.First())
            .OrderBy(n => n.IsCall ? 2 : n.IsDeclared ? 0 : 1).ThenBy(n => n.Row ?? 0).ThenBy(n => n.Name, StringComparer.Ordinal).ThenBy(n => n.Key, StringComparer.Ordinal)
            .ToList();
        var ids = nodes.Select((n, i) => (n.Key, Id: "n" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .ToDictionary(p => p.Key, p => p.Id, StringComparer.Ordinal);
        var order = nodes.Select((n, i) => (n.Key, i)).ToDictionary(p => p.Key, p => p.i, StringComparer.Ordinal);

        var edges = facts.SelectMany(g => g.Edges)
            .Select(e => (Edge: e, Witness: WitnessOf(e, baseDirectory)))
            .GroupBy(e => (e.Edge.From.Key, e.Edge.To.Key, e.Edge.Kind))
            .Select(g =>
            {
                var first = g.OrderBy(e => e.Witness.File, StringComparer.Ordinal).ThenBy(e => e.Witness.Line).ThenBy(e => e.Witness.Chain, StringComparer.Ordinal).First();
                return (first.Edge, first.Witness, InCycle: g.Any(e => e.Edge.InCycle));
            })
            .OrderBy(e => e.Edge.Kind == LockGraphEdgeKind.Declared ? 0 : 1).ThenBy(e => order[e.Edge.From.Key]).ThenBy(e => order[e.Edge.To.Key]).ThenBy(e => e.Edge.Kind)
            .Select(e => new GraphEdge(ids[e.Edge.From.Key], ids[e.Edge.To.Key], KindOf(e.Edge.Kind), e.Witness, e.InCycle))
            .ToList();

        return new LockGraph(source, tables.Select(t => Relative(t, baseDirectory)).Distinct(StringComparer.Ordinal).ToList(),
            nodes.Select(n => new GraphNode(ids[n.Key], n.Name, KindOf(n.Kind), n.Row)).ToList(), edges);
    }

    private static Witness WitnessOf(LockGraphEdge edge, string baseDirectory)
    {
        var (file, line) = Place(edge.Site, baseDirectory);
        string? heldAt = null;
        if (edge.HeldSite is { } held && held != Location.None)
        {
            var (heldFile, heldLine) = Place(held, baseDirectory);
            heldAt = heldFile + ":" + heldLine.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return new Witness(file, line, edge.Chain.IsEmpty ? "" : edge.Chain.Text, heldAt);
    }

    private static (string File, int Line) Place(Location location, string baseDirectory)
    {
        var span = location.GetLineSpan();
        return (Relative(span.Path, baseDirectory), span.StartLinePosition.Line + 1);
    }

    /// <summary>A path relative to the base directory (with '/'), or the full path when it is elsewhere.</summary>
    public static string Relative(string path, string baseDirectory)
    {
        if (string.IsNullOrEmpty(path))
        {
            return path;
        }

        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(Path.GetFullPath(baseDirectory), full);
        return (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? full : relative).Replace('\\', '/');
    }

    private static EdgeKind KindOf(LockGraphEdgeKind kind) => kind switch
    {
        LockGraphEdgeKind.Declared => EdgeKind.Declared,
        LockGraphEdgeKind.Forbidden => EdgeKind.Forbidden,
        LockGraphEdgeKind.Cycle => EdgeKind.Cycle,
        LockGraphEdgeKind.Sleep => EdgeKind.Sleep,
        _ => EdgeKind.Ordinary,
    };

    private static NodeKind KindOf(LockKind? kind) => kind switch
    {
        null => NodeKind.Call,
        LockKind.Spinlock => NodeKind.Spinlock,
        LockKind.Mutex => NodeKind.Mutex,
        LockKind.RwSem => NodeKind.RwSem,
        _ => NodeKind.Semaphore,
    };
}
