using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using LockOrder.Engine.Knowledge;
using LockOrder.Engine.Model;
using LockOrder.Engine.Queries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// The cycle search (LOCK008's) prunes its walk by each lock's distance back to the start. Pruning may only skip
/// branches that find nothing: on random lock graphs, dense and sparse, with gates and nesting directions, it must
/// return exactly the cycles, in exactly the order, of the plain walk kept here as the reference (the search as it
/// was before the pruning), including where the cycle cap cuts the list short.
/// </summary>
public class CycleSearchTests
{
    private static readonly ISymbol Owner = CSharpCompilation.Create("G", new[] { CSharpSyntaxTree.ParseText("class G { void M() { } }") })
        .GetTypeByMetadataName("G")!.GetMembers("M").Single();

    [Theory]
    [InlineData(1, 6, 0.5, 6, 200)]
    [InlineData(2, 9, 0.35, 6, 200)]
    [InlineData(3, 12, 0.25, 6, 200)]
    [InlineData(4, 12, 0.6, 6, 200)]
    [InlineData(5, 16, 0.15, 4, 200)]
    [InlineData(6, 10, 0.5, 3, 200)]
    [InlineData(7, 12, 0.5, 6, 25)]
    [InlineData(8, 20, 0.1, 6, 200)]
    [InlineData(9, 8, 0.9, 5, 1000)]
    public void Pruned_search_finds_what_the_plain_walk_finds(int seed, int locks, double density, int maxLength, int maxCycles)
    {
        for (int graph = 0; graph < 20; graph++)
        {
            var edges = RandomGraph(new Random(seed * 1000 + graph), locks, density);
            var expected = Reference(edges, maxLength, maxCycles).Select(Text).ToList();
            var actual = Cycles.Find(edges, maxLength, maxCycles).Select(Text).ToList();
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void The_random_graphs_have_cycles_to_find()
    {
        // Guards the theory above against comparing empty lists.
        var edges = RandomGraph(new Random(4000), 12, 0.6);
        Assert.True(Reference(edges, 6, 200).Count > 20);
    }

    private static string Text(List<LockEdge> cycle) => string.Join(" -> ", cycle.Select(e => e.From.SortKey + ">" + e.To.SortKey));

    private static List<LockEdge> RandomGraph(Random random, int locks, double density)
    {
        var classes = Enumerable.Range(0, locks)
            .Select(i => new LockClass(new LockIdentity.Expression(Owner, "l" + i), "E:l" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture), "l" + i, null, LockApi.BuiltIn[0], reentrant: false))
            .ToList();
        var edges = new List<LockEdge>();
        foreach (var from in classes)
        {
            foreach (var to in classes)
            {
                if (ReferenceEquals(from, to) || random.NextDouble() >= density)
                {
                    continue;
                }

                // Sometimes two witnesses for a pair, with gates and directions that must be combined.
                for (int witness = random.Next(3) == 0 ? 2 : 1; witness > 0; witness--)
                {
                    var gates = random.Next(4) == 0 ? ImmutableHashSet.Create(classes[random.Next(2)]) : ImmutableHashSet<LockClass>.Empty;
                    var direction = (EdgeDirection)random.Next(3);
                    edges.Add(new LockEdge(from, to, Location.None, Location.None, Chain.Empty, gates, direction));
                }
            }
        }

        return edges;
    }

    /// <summary>The search without pruning, as it was: every simple path over higher-ranked locks.</summary>
    private static List<List<LockEdge>> Reference(IEnumerable<LockEdge> edges, int maxLength, int maxCycles)
    {
        var graph = new Dictionary<LockClass, Dictionary<LockClass, LockEdge>>();
        var gates = new Dictionary<(LockClass, LockClass), ImmutableHashSet<LockClass>>();
        var direction = new Dictionary<(LockClass, LockClass), EdgeDirection>();
        foreach (var edge in edges.OrderBy(e => e.Gates.Count).ThenByDescending(e => e.Direction).ThenBy(e => e.Site.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(e => e.Site.SourceSpan.Start).ThenBy(e => e.Chain.Text, StringComparer.Ordinal))
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

        var order = graph.Keys.Concat(graph.Values.SelectMany(t => t.Keys)).Distinct().OrderBy(c => c.SortKey, StringComparer.Ordinal).ToList();
        var rank = order.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var cycles = new List<List<LockEdge>>();
        var path = new List<LockEdge>();
        var onPath = new HashSet<LockClass>();
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
                    var cycle = new List<LockEdge>(path) { pair.Value };
                    var directions = cycle.Select(e => direction[(e.From, e.To)]).ToList();
                    bool nesting = directions.All(d => d != EdgeDirection.Unknown) && directions.Any(d => d == EdgeDirection.Down);
                    if (cycle.Select(e => gates[(e.From, e.To)]).Aggregate((a, b) => a.Intersect(b)).IsEmpty && !nesting)
                    {
                        cycles.Add(cycle);
                    }
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
