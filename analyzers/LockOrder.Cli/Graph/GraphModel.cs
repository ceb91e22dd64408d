using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace LockOrder.Cli.Graph;

/// <summary>What an edge of the graph is; each kind has its own style in every format (<see cref="Styles"/>).</summary>
public enum EdgeKind
{
    /// <summary>The table's order, row i before row i + 1: the declared spine.</summary>
    Declared,

    /// <summary>A lock taken while another is held, in an order nothing reports.</summary>
    Ordinary,

    /// <summary>Taken while a lock the table orders after it is held: what LOCK001 reports.</summary>
    Forbidden,

    /// <summary>An edge of a lock-order cycle: what LOCK008 reports.</summary>
    Cycle,

    /// <summary>Something that may sleep (a call, or a sleeping lock) while a spinlock is held: what LOCK002 reports.</summary>
    Sleep,
}

/// <summary>What a node is: a lock of one of the table's kinds, or a call that may sleep.</summary>
public enum NodeKind
{
    Spinlock,
    Mutex,
    RwSem,
    Semaphore,
    Call,
}

/// <summary>A node: a table row, a lock the table does not list, or a call that may sleep.</summary>
/// <param name="Id">Unique in the graph, usable as an identifier in DOT and Mermaid (<c>n1</c>, <c>n2</c>, ...).</param>
/// <param name="Row">The table row (1-based), or null for an unlisted lock and a call.</param>
public sealed record GraphNode(string Id, string Name, NodeKind Kind, int? Row)
{
    public bool IsCall => Kind == NodeKind.Call;

    public bool IsDeclared => Row is not null;

    /// <summary>The second line of the node's label: "row 3, spinlock", "unlisted mutex", "may sleep".</summary>
    public string Detail => Kind == NodeKind.Call ? "may sleep"
        : Row is { } row ? string.Create(CultureInfo.InvariantCulture, $"row {row}, {KindName(Kind)}")
        : "unlisted " + KindName(Kind);

    public static string KindName(NodeKind kind) => kind.ToString().ToLowerInvariant();
}

/// <summary>Where the code makes an edge: the site (an acquisition, or the call under which a callee acquires or
/// sleeps), the chain of calls from it down to the acquisition or the blocking call as diagnostics give it (empty for
/// an edge made in the body itself), and where the held lock was taken. A declared edge's site is the row in
/// lockorder.json.</summary>
public sealed record Witness(string File, int Line, string Chain, string? HeldAt)
{
    /// <summary>"CachedDir.cs:474 via Kref.Put -> CachedDir.ReleaseCachedFid -> acquiring ..., held since CachedDir.cs:470".</summary>
    public string Text => string.Create(CultureInfo.InvariantCulture, $"{File}:{Line}")
        + (Chain.Length == 0 ? "" : " via " + Chain)
        + (HeldAt is null ? "" : ", held since " + HeldAt);
}

/// <summary>An edge with its one witness.</summary>
/// <param name="InCycle">The pair is an edge of a cycle LOCK008 reports, whatever its kind.</param>
public sealed record GraphEdge(string From, string To, EdgeKind Kind, Witness Witness, bool InCycle)
{
    /// <summary>The edge as the formats' comments and tooltips give it: "forbidden: a -> b at File.cs:12 via ...".</summary>
    public string Describe(LockGraph graph)
        => $"{Styles.Of(Kind).Name}: {graph.Node(From).Name} -> {graph.Node(To).Name} "
            + (Kind == EdgeKind.Declared ? "declared at " : "at ") + Witness.Text + (InCycle && Kind != EdgeKind.Cycle ? " (in a cycle)" : "");
}

/// <summary>The lock graph of a project or solution, ready to write in any format.</summary>
/// <param name="Source">What was loaded, as given on the command line.</param>
/// <param name="Tables">The lockorder.json files the graph's projects read, relative like the witnesses.</param>
public sealed record LockGraph(string Source, IReadOnlyList<string> Tables, IReadOnlyList<GraphNode> Nodes, IReadOnlyList<GraphEdge> Edges)
{
    private Dictionary<string, GraphNode>? _byId;

    public GraphNode Node(string id)
        => (_byId ??= Nodes.ToDictionary(n => n.Id, StringComparer.Ordinal))[id];

    public IEnumerable<GraphEdge> OfKind(EdgeKind kind) => Edges.Where(e => e.Kind == kind);
}
