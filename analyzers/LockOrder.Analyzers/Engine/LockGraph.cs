using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine;

/// <summary>An order edge: <see cref="To"/> acquired while <see cref="From"/> is held, at a site, through a chain.</summary>
internal sealed class LockEdge
{
    public LockEdge(LockClass from, LockClass to, Location site, Location heldSite, ImmutableArray<ChainStep> chain)
    {
        From = from;
        To = to;
        Site = site;
        HeldSite = heldSite;
        Chain = chain;
    }

    public LockClass From { get; }
    public LockClass To { get; }
    public Location Site { get; }
    public Location HeldSite { get; }
    public ImmutableArray<ChainStep> Chain { get; }

    public string Where
    {
        get
        {
            var span = Site.GetLineSpan();
            return $"{System.IO.Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1})";
        }
    }

    public string Via => Chain.IsDefaultOrEmpty ? "" : " via " + ChainStep.Format(Chain);
}

/// <summary>
/// The compilation's lock graph, as lockdep builds it but from every path the engine sees: edges come from the
/// engine's facts (acquisitions with what was held) and from summaries at calls. Try-locks add no edge (they
/// cannot wait), and two instances of one class are LOCK003's concern, not an edge.
/// </summary>
internal static class LockGraph
{
    public static IEnumerable<LockEdge> EdgesOf(LockModel model, BodyFacts body, CancellationToken cancellationToken)
    {
        foreach (var acquisition in body.Acquisitions)
        {
            if (acquisition.IsTry)
            {
                continue;
            }

            foreach (var held in acquisition.HeldBefore)
            {
                if (!ReferenceEquals(held.Class, acquisition.Lock.Class))
                {
                    yield return new LockEdge(held.Class, acquisition.Lock.Class, OperationLocations.Of(acquisition.Operation), OperationLocations.Of(held.Site), ImmutableArray<ChainStep>.Empty);
                }
            }
        }

        foreach (var call in body.Calls)
        {
            if (call.Held.IsEmpty)
            {
                continue;
            }

            foreach (var callee in model.Summaries.CalleesOf(call, cancellationToken))
            {
                var summary = model.Summaries.Get(callee.Method, cancellationToken);
                foreach (var acquire in summary.Acquires)
                {
                    if (acquire.IsTry)
                    {
                        continue;
                    }

                    foreach (var held in call.Held)
                    {
                        if (!ReferenceEquals(held.Class, acquire.Class) && !acquire.Dropped.Contains(held.Class))
                        {
                            yield return new LockEdge(held.Class, acquire.Class, OperationLocations.Of(call.Operation), OperationLocations.Of(held.Site), callee.Prefix.AddRange(acquire.Chain));
                        }
                    }
                }
            }
        }
    }

    /// <summary>Elementary cycles (each once, rotated to start at its smallest lock), at most
    /// <paramref name="maxLength"/> locks long and <paramref name="maxCycles"/> in all.</summary>
    public static List<List<LockEdge>> Cycles(IEnumerable<LockEdge> edges, int maxLength = 6, int maxCycles = 200)
    {
        // One representative edge per ordered pair: the first by location, so results are stable.
        var graph = new Dictionary<LockClass, Dictionary<LockClass, LockEdge>>();
        foreach (var edge in edges.OrderBy(e => e.Site.SourceTree?.FilePath, System.StringComparer.Ordinal).ThenBy(e => e.Site.SourceSpan.Start))
        {
            if (!graph.TryGetValue(edge.From, out var targets))
            {
                graph[edge.From] = targets = new Dictionary<LockClass, LockEdge>();
            }

            if (!targets.ContainsKey(edge.To))
            {
                targets[edge.To] = edge;
            }
        }

        var order = graph.Keys.Concat(graph.Values.SelectMany(t => t.Keys)).Distinct().OrderBy(c => c.Key, System.StringComparer.Ordinal).ToList();
        var rank = order.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var cycles = new List<List<LockEdge>>();
        var path = new List<LockEdge>();
        var onPath = new HashSet<LockClass>();

        // Each cycle is found once, from its lowest-ranked lock, visiting only higher-ranked locks after it.
        foreach (var start in order)
        {
            Walk(start, start);
            if (cycles.Count >= maxCycles)
            {
                break;
            }
        }

        return cycles;

        void Walk(LockClass start, LockClass node)
        {
            if (cycles.Count >= maxCycles || !graph.TryGetValue(node, out var targets))
            {
                return;
            }

            onPath.Add(node);
            foreach (var pair in targets.OrderBy(p => rank[p.Key]))
            {
                var next = pair.Key;
                if (ReferenceEquals(next, start))
                {
                    cycles.Add(new List<LockEdge>(path) { pair.Value });
                }
                else if (rank[next] > rank[start] && !onPath.Contains(next) && path.Count + 1 < maxLength)
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
