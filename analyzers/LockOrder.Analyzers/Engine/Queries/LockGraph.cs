using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using LockOrder.Engine.Calls;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Model;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Queries;

/// <summary>What an edge of the lock graph is.</summary>
internal enum LockGraphEdgeKind
{
    /// <summary>The table's order: row i is taken before row i + 1.</summary>
    Declared,

    /// <summary>A lock taken while another is held, in an order nothing reports.</summary>
    Ordinary,

    /// <summary>The table orders the taken lock above the held one (LOCK001).</summary>
    Forbidden,

    /// <summary>An edge of a lock-order cycle LOCK008 reports.</summary>
    Cycle,

    /// <summary>Something that may sleep while a spinlock is held (LOCK002): a blocking call, or a sleeping lock.</summary>
    Sleep,
}

/// <summary>A node of the lock graph: a lock class (a table row, or a lock the table does not list) or a call
/// that may sleep.</summary>
/// <param name="Key">Unique in the graph: "row:name", "lock:sort key" or "call:text".</param>
/// <param name="Name">The row's name, the lock's C# name, or the call (<c>Thread.Sleep</c>).</param>
/// <param name="Kind">The lock's kind; null for a call.</param>
/// <param name="Row">The table row (1-based); null for an unlisted lock or a call.</param>
internal sealed record LockGraphNode(string Key, string Name, LockKind? Kind, int? Row)
{
    public bool IsCall => Kind is null;

    public bool IsDeclared => Row is not null;
}

/// <summary>An edge of the lock graph with one witness: where the code makes it and the chain of calls from there
/// down to the acquisition or blocking call (as diagnostics give it), and where the held lock was taken. A declared
/// edge's witness is the lower row in lockorder.json.</summary>
/// <param name="InCycle">The held -> taken pair is an edge of a cycle LOCK008 reports (whatever its kind).</param>
internal sealed record LockGraphEdge(LockGraphNode From, LockGraphNode To, LockGraphEdgeKind Kind, Location Site, Chain Chain, Location? HeldSite, bool InCycle);

/// <summary>The lock graph of a compilation (see <see cref="LockGraph.Of"/>).</summary>
internal sealed record LockGraphFacts(ImmutableArray<LockGraphNode> Nodes, ImmutableArray<LockGraphEdge> Edges, bool HasTable);

/// <summary>
/// The lock graph of a compilation, for tools (<c>lockorder graph</c>): the table's rows and every lock class the
/// code takes; the declared order; every held -> taken order edge between two classes (same-class nesting is a
/// question of instances, LOCK003's, as in <see cref="Cycles"/>), classified by the rules' own predicates; and
/// every sleep under a spinlock LOCK002 reports. Bodies are the ones the rules analyse, read through the same
/// queries (<see cref="OrderEdges"/>, <see cref="Cycles"/>, <see cref="BlockingCalls"/>). One witness per edge and
/// kind: the first by file, position and chain.
/// </summary>
internal static class LockGraph
{
    public static LockGraphFacts Of(LockModel model, CancellationToken cancellationToken)
    {
        var nodes = new Dictionary<string, LockGraphNode>(StringComparer.Ordinal);
        var found = new List<(LockGraphNode From, LockGraphNode To, LockGraphEdgeKind Kind, Location Site, Chain Chain, Location? HeldSite, LockClass? Held, LockClass? Taken)>();
        var cycleEdges = new List<LockEdge>();

        if (model.HasTable)
        {
            foreach (var row in model.Table.Locks)
            {
                Node(row);
            }
        }

        foreach (var body in Bodies(model, cancellationToken))
        {
            foreach (var acquisition in body.Acquisitions)
            {
                Node(acquisition.Lock.Class);
            }

            foreach (var edge in OrderEdges.Of(model, body, cancellationToken))
            {
                if (edge.SameClass)
                {
                    continue;
                }

                cycleEdges.Add(LockEdge.Of(edge));
                var kind = edge.OutOfOrder is not null ? LockGraphEdgeKind.Forbidden
                    : edge.SleepsUnderSpinlock ? LockGraphEdgeKind.Sleep
                    : LockGraphEdgeKind.Ordinary;
                found.Add((Node(edge.Held.Class), Node(edge.Taken), kind, OperationLocations.Of(edge.Site), edge.Chain, OperationLocations.Of(edge.Held.Site), edge.Held.Class, edge.Taken));
            }

            foreach (var blocking in BlockingCalls.UnderSpinlock(model, body, cancellationToken))
            {
                found.Add((Node(blocking.Held.Class), Call(blocking.What), LockGraphEdgeKind.Sleep, OperationLocations.Of(blocking.Site), blocking.Chain,
                    OperationLocations.Of(blocking.Held.Site), null, null));
            }

            foreach (var (acquisition, spin) in BlockingCalls.SleepingLocksUnderSpinlock(body))
            {
                found.Add((Node(spin.Class), Node(acquisition.Lock.Class), LockGraphEdgeKind.Sleep, OperationLocations.Of(acquisition.Syntax), Chain.Empty,
                    OperationLocations.Of(spin.Site), spin.Class, acquisition.Lock.Class));
            }
        }

        // The class pairs of the cycles LOCK008 reports, by node.
        var inCycle = new HashSet<(string, string)>();
        if (Cycles.Enabled(model))
        {
            foreach (var cycle in Cycles.Reported(model, cycleEdges))
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var edge in cycle)
                {
                    inCycle.Add((Node(edge.From).Key, Node(edge.To).Key));
                }
            }
        }

        var edges = ImmutableArray.CreateBuilder<LockGraphEdge>();
        if (model.HasTable && model.TableFile is { } file && model.TableText is { } text)
        {
            var rows = model.Table.Locks;
            for (int i = 0; i + 1 < rows.Length; i++)
            {
                var at = Location.Create(file.Path, rows[i].RowSpan, text.Lines.GetLinePositionSpan(rows[i].RowSpan));
                edges.Add(new LockGraphEdge(Node(rows[i]), Node(rows[i + 1]), LockGraphEdgeKind.Declared, at, Chain.Empty, null, InCycle: false));
            }
        }

        var observed = found
            .Select(e => e with { Kind = e.Kind == LockGraphEdgeKind.Ordinary && inCycle.Contains((e.From.Key, e.To.Key)) ? LockGraphEdgeKind.Cycle : e.Kind })
            .GroupBy(e => (e.From.Key, e.To.Key, e.Kind))
            .Select(g => g.OrderBy(e => e.Site.SourceTree?.FilePath ?? e.Site.GetLineSpan().Path, StringComparer.Ordinal)
                .ThenBy(e => e.Site.SourceSpan.Start).ThenBy(e => e.Chain.Text, StringComparer.Ordinal).First())
            .Select(e => new LockGraphEdge(e.From, e.To, e.Kind, e.Site, e.Chain, e.HeldSite, inCycle.Contains((e.From.Key, e.To.Key))));
        var order = NodeOrder(nodes.Values);
        edges.AddRange(observed.OrderBy(e => order[e.From.Key]).ThenBy(e => order[e.To.Key]).ThenBy(e => e.Kind));

        return new LockGraphFacts(nodes.Values.OrderBy(n => order[n.Key]).ToImmutableArray(), edges.ToImmutable(), model.HasTable);

        LockGraphNode Node(object of)
        {
            var node = of switch
            {
                LockDecl row => new LockGraphNode("row:" + row.Name, row.Name, row.Kind, row.Row),
                LockClass { Decl: { } row } => new LockGraphNode("row:" + row.Name, row.Name, row.Kind, row.Row),
                LockClass c => new LockGraphNode("lock:" + c.SortKey, c.CodeName, c.Kind, null),
                _ => throw new ArgumentException("not a lock", nameof(of)),
            };
            if (nodes.TryGetValue(node.Key, out var known))
            {
                return known;
            }

            nodes[node.Key] = node;
            return node;
        }

        LockGraphNode Call(string what)
        {
            // BlockingCall.What quotes the call: "'Thread.Sleep'".
            var name = what.Length > 1 && what[0] == '\'' && what[what.Length - 1] == '\'' ? what.Substring(1, what.Length - 2) : what;
            var key = "call:" + name;
            if (!nodes.TryGetValue(key, out var node))
            {
                nodes[key] = node = new LockGraphNode(key, name, null, null);
            }

            return node;
        }
    }

    /// <summary>Rows in table order, then unlisted locks by name, then calls by name.</summary>
    private static Dictionary<string, int> NodeOrder(IEnumerable<LockGraphNode> nodes)
        => nodes.OrderBy(n => n.IsCall ? 2 : n.IsDeclared ? 0 : 1).ThenBy(n => n.Row ?? 0).ThenBy(n => n.Name, StringComparer.Ordinal).ThenBy(n => n.Key, StringComparer.Ordinal)
            .Select((n, i) => (n.Key, i)).ToDictionary(p => p.Key, p => p.i, StringComparer.Ordinal);

    /// <summary>The bodies the rules analyse: every member body of the compilation's own source that is not generated
    /// code, whose syntax and bound tree may matter (<see cref="BodyFilter"/>, <see cref="LockModel.MayMatter"/>), with
    /// its lambdas and local functions.</summary>
    public static IEnumerable<BodyFacts> Bodies(LockModel model, CancellationToken cancellationToken)
    {
        foreach (var method in CallersIndex.SourceMethods(model.Compilation))
        {
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var syntax = reference.GetSyntax(cancellationToken);
                if (IsGenerated(model.Compilation, syntax.SyntaxTree, cancellationToken))
                {
                    continue;
                }

#pragma warning disable RS1030 // A tool's query, not an analyzer action: there is no semantic model to be given.
                var semanticModel = model.Compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
                foreach (var body in model.BodiesToAnalyze(method, syntax, semanticModel, cancellationToken))
                {
                    yield return body;
                }
            }
        }
    }

    /// <summary>Code the rules are not run on (they do not analyse generated code): marked generated in the analyzer
    /// config, named as generated files are (<c>.g.cs</c>, <c>.designer.cs</c>, ...), or starting with an
    /// <c>&lt;auto-generated&gt;</c> comment.</summary>
    private static bool IsGenerated(Compilation compilation, SyntaxTree tree, CancellationToken cancellationToken)
    {
        if (compilation.Options.SyntaxTreeOptionsProvider?.IsGenerated(tree, cancellationToken) is { } kind && kind != GeneratedKind.Unknown)
        {
            return kind == GeneratedKind.MarkedGenerated;
        }

        var name = Path.GetFileName(tree.FilePath);
        if (name.StartsWith("TemporaryGeneratedFile_", StringComparison.OrdinalIgnoreCase)
            || new[] { ".designer.cs", ".generated.cs", ".g.cs", ".g.i.cs" }.Any(suffix => name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        var first = tree.GetRoot(cancellationToken).GetFirstToken(includeZeroWidth: true);
        return first.LeadingTrivia.Any(t => t.ToString().IndexOf("<auto-generated", StringComparison.OrdinalIgnoreCase) >= 0);
    }
}
