using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using LockOrder.Engine.Model;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Queries;

/// <summary>An edge of the compilation's lock graph: <see cref="To"/> acquired while <see cref="From"/> is held, at a
/// site, through a chain.</summary>
/// <param name="Gates">Other lock classes held where the edge is made.</param>
/// <param name="Direction">Within one object, down a recursive link, or unknown.</param>
internal sealed record LockEdge(LockClass From, LockClass To, Location Site, Location HeldSite, Chain Chain, ImmutableHashSet<LockClass> Gates, EdgeDirection Direction)
{
    public static LockEdge Of(OrderEdge edge)
        => new(edge.Held.Class, edge.Taken, OperationLocations.Of(edge.Site), OperationLocations.Of(edge.Held.Site), edge.Chain, edge.Gates, edge.Direction);
}

/// <summary>
/// The compilation's lock graph, as lockdep builds it but from every path the engine sees (the order edges of
/// every body between two classes; two instances of one class are LOCK003's concern), and its elementary cycles.
/// A cycle every edge of which is made, on every path the engine sees, while one common lock is held cannot
/// deadlock (that lock serialises the threads): such gated cycles are left out, as Goodlock and Infer do. So is a
/// cycle every edge of which stays within one object or goes down to an object it links to recursively (a wrapper
/// to the target it wraps), at least one going down: it can only close on the same objects in a structure that
/// contains itself; in any acyclic one it is parent-before-child nesting, the order lockdep asks for with its
/// nested subclasses.
/// </summary>
internal static class Cycles
{
    /// <summary>Whether LOCK008 looks for cycles in this compilation: with a table, or without one unless the
    /// options ask for a table.</summary>
    public static bool Enabled(LockModel model) => model.HasTable || !model.Options.CyclesNeedTable;

    /// <summary>The cycles LOCK008 reports: those <see cref="Find"/> finds, less those whose locks the table all
    /// orders (LOCK001 reports those, edge by edge).</summary>
    public static IEnumerable<List<LockEdge>> Reported(LockModel model, IEnumerable<LockEdge> edges)
        => Find(edges).Where(cycle => !(model.HasTable && cycle.All(e => e.From.Decl is not null && e.To.Decl is not null)));

    /// <summary>Elementary cycles (each once, rotated to start at its smallest lock), at most
    /// <paramref name="maxLength"/> locks long and <paramref name="maxCycles"/> in all.</summary>
    public static List<List<LockEdge>> Find(IEnumerable<LockEdge> edges, int maxLength = 6, int maxCycles = 200)
    {
        // One representative edge per ordered pair: the first by location among those with the fewest gates (an
        // ungated witness when there is one), so results are stable. The pair's gates are those held on every one
        // of its edges.
        var graph = new Dictionary<LockClass, Dictionary<LockClass, LockEdge>>();
        var gates = new Dictionary<(LockClass, LockClass), ImmutableHashSet<LockClass>>();
        var direction = new Dictionary<(LockClass, LockClass), EdgeDirection>();
        foreach (var edge in edges.OrderBy(e => e.Gates.Count).ThenByDescending(e => e.Direction).ThenBy(e => e.Site.SourceTree?.FilePath, System.StringComparer.Ordinal).ThenBy(e => e.Site.SourceSpan.Start).ThenBy(e => e.Chain.Text, System.StringComparer.Ordinal))
        {
            if (!graph.TryGetValue(edge.From, out var targets))
            {
                graph[edge.From] = targets = new Dictionary<LockClass, LockEdge>();
            }

            if (!targets.ContainsKey(edge.To))
            {
                targets[edge.To] = edge;
                gates[(edge.From, edge.To)] = edge.Gates;
                direction[(edge.From, edge.To)] = edge.Direction;
            }
            else
            {
                gates[(edge.From, edge.To)] = gates[(edge.From, edge.To)].Intersect(edge.Gates);
                direction[(edge.From, edge.To)] = Places.Join(direction[(edge.From, edge.To)], edge.Direction);
            }
        }

        var order = graph.Keys.Concat(graph.Values.SelectMany(t => t.Keys)).Distinct().OrderBy(c => c.SortKey, System.StringComparer.Ordinal).ToList();
        var rank = order.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);

        // Each node's successors in rank order, sorted once (the walk visits a node many times), and its
        // predecessors, for the distances below.
        var successors = graph.ToDictionary(p => p.Key, p => p.Value.OrderBy(t => rank[t.Key]).ToList());
        var predecessors = new Dictionary<LockClass, List<LockClass>>();
        foreach (var pair in graph)
        {
            foreach (var to in pair.Value.Keys)
            {
                if (!predecessors.TryGetValue(to, out var from))
                {
                    predecessors[to] = from = new List<LockClass>();
                }

                from.Add(pair.Key);
            }
        }

        var cycles = new List<List<LockEdge>>();
        var path = new List<LockEdge>();
        var onPath = new HashSet<LockClass>();
        var toStart = new Dictionary<LockClass, int>();

        // Each cycle is found once, from its lowest-ranked lock, visiting only higher-ranked locks after it. The
        // walk enumerates simple paths, which grow exponentially with the graph's density; it is pruned with each
        // lock's distance back to the start (over higher-ranked locks only): a step after which no cycle of at
        // most maxLength locks can close is not taken. That prunes only branches that find nothing, so the
        // cycles, and their order, are those of the unpruned walk.
        foreach (var start in order)
        {
            DistancesTo(start);
            Walk(start, start);
            if (cycles.Count >= maxCycles)
            {
                break;
            }
        }

        return cycles;

        void DistancesTo(LockClass start)
        {
            toStart.Clear();
            toStart[start] = 0;
            var queue = new Queue<LockClass>();
            queue.Enqueue(start);
            while (queue.Count > 0)
            {
                var node = queue.Dequeue();
                int next = toStart[node] + 1;
                if (next > maxLength || !predecessors.TryGetValue(node, out var from))
                {
                    continue;
                }

                foreach (var previous in from)
                {
                    if (rank[previous] > rank[start] && !toStart.ContainsKey(previous))
                    {
                        toStart[previous] = next;
                        queue.Enqueue(previous);
                    }
                }
            }
        }

        void Walk(LockClass start, LockClass node)
        {
            if (cycles.Count >= maxCycles || !successors.TryGetValue(node, out var targets))
            {
                return;
            }

            onPath.Add(node);
            foreach (var pair in targets)
            {
                var next = pair.Key;
                if (ReferenceEquals(next, start))
                {
                    var cycle = new List<LockEdge>(path) { pair.Value };
                    var directions = cycle.Select(e => direction[(e.From, e.To)]).ToList();
                    bool nesting = directions.All(d => d != EdgeDirection.Unknown) && directions.Any(d => d == EdgeDirection.Down);
                    if (cycle.Select(e => gates[(e.From, e.To)]).Aggregate((a, b) => a.Intersect(b)).IsEmpty && !nesting)
                    {
                        cycles.Add(cycle);
                    }
                }
                else if (rank[next] > rank[start] && !onPath.Contains(next) && path.Count + 1 < maxLength
                         && toStart.TryGetValue(next, out int back) && path.Count + 1 + back <= maxLength)
                {
                    path.Add(pair.Value);
                    Walk(start, next);
                    path.RemoveAt(path.Count - 1);
                }
            }

            onPath.Remove(node);
        }
    }
}
