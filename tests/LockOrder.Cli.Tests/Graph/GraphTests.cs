using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using LockOrder.Cli.Graph;
using Xunit;

namespace LockOrder.Cli.Tests.Graph;

/// <summary>Graphs of small projects, compared by structure: nodes, edges and their kinds, and the same edge set in
/// every format.</summary>
public class GraphTests
{
    private const string TwoLocks = """
        { "locks": [
          { "name": "a_lock", "kind": "mutex", "symbol": "C.A" },
          { "name": "b_lock", "kind": "mutex", "symbol": "C.B" } ] }
        """;

    [Fact]
    public void TwoLockInversion_GivesOneForbiddenEdge()
    {
        var graph = InMemory.Graph("""
            class C
            {
                public static readonly object A = new object();
                public static readonly object B = new object();
                public void InOrder() { lock (A) { lock (B) { } } }
                public void Inverted() { lock (B) { lock (A) { } } }
            }
            """, TwoLocks);

        Assert.Equal(new[] { "a_lock", "b_lock" }, graph.Nodes.Select(n => n.Name));
        Assert.Equal(
            new[] { ("a_lock", "b_lock", EdgeKind.Declared), ("a_lock", "b_lock", EdgeKind.Ordinary), ("b_lock", "a_lock", EdgeKind.Forbidden) },
            InMemory.Edges(graph, declared: true).OrderBy(e => e.Kind).ToArray());
        var forbidden = Assert.Single(graph.OfKind(EdgeKind.Forbidden));
        Assert.Equal("Code.cs", forbidden.Witness.File);
        Assert.Equal(6, forbidden.Witness.Line);
        Assert.Equal("Code.cs:6", forbidden.Witness.HeldAt);
    }

    [Fact]
    public void CycleWithoutTable_GivesCycleEdges_BetweenUnlistedLocks()
    {
        var graph = InMemory.Graph("""
            class C
            {
                private readonly object _x = new object();
                private readonly object _y = new object();
                public void One() { lock (_x) { lock (_y) { } } }
                public void Two() { lock (_y) { lock (_x) { } } }
            }
            """);

        Assert.All(graph.Nodes, n => Assert.False(n.IsDeclared));
        Assert.Equal(new[] { "C._x", "C._y" }, graph.Nodes.Select(n => n.Name).OrderBy(n => n));
        Assert.Equal(new[] { ("C._x", "C._y", EdgeKind.Cycle), ("C._y", "C._x", EdgeKind.Cycle) }, InMemory.Edges(graph, declared: true).OrderBy(e => e.From).ToArray());
        Assert.All(graph.Edges, e => Assert.True(e.InCycle));
    }

    [Fact]
    public void ThreadSleepUnderSpinLock_GivesASleepEdgeToTheCall()
    {
        var graph = InMemory.Graph("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                public void Wait()
                {
                    bool taken = false;
                    try
                    {
                        _spin.Enter(ref taken);
                        Thread.Sleep(10);
                    }
                    finally
                    {
                        if (taken) _spin.Exit();
                    }
                }
            }
            """);

        var (from, to, kind) = Assert.Single(InMemory.Edges(graph));
        Assert.Equal(("C._spin", "Thread.Sleep", EdgeKind.Sleep), (from, to, kind));
        var call = graph.Nodes.Single(n => n.Name == "Thread.Sleep");
        Assert.Equal(NodeKind.Call, call.Kind);
        Assert.Equal(11, graph.Edges.Single().Witness.Line);
    }

    [Fact]
    public void AcrossACall_TheWitnessCarriesTheChain()
    {
        var graph = InMemory.Graph("""
            class C
            {
                public static readonly object A = new object();
                public static readonly object B = new object();
                public void Outer() { lock (B) { Inner(); } }
                private void Inner() { lock (A) { } }
            }
            """, TwoLocks);

        var edge = Assert.Single(graph.OfKind(EdgeKind.Forbidden));
        Assert.Equal(5, edge.Witness.Line);
        Assert.Equal("C.Inner -> acquiring 'a_lock' (row 1)", edge.Witness.Chain);
        Assert.Contains("via C.Inner -> acquiring 'a_lock' (row 1)", edge.Describe(graph), System.StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherSourceProjectReferencedAsACompilation_HasNoBodyHere_AndDoesNotThrow()
    {
        // A workspace (the IDE, MSBuildWorkspace) references another project of the solution as a compilation: its
        // methods have syntax in another compilation, which the engine must not ask this compilation to bind.
        var library = InMemory.Compile("""
            public class Lib
            {
                public static readonly object A = new object();
                public static void TakeA() { lock (A) { } }
            }
            """, "/lib/Lib.cs");
        var graph = InMemory.Graph(InMemory.Compile("""
            class C
            {
                public static readonly object B = new object();
                public void Outer() { lock (B) { Lib.TakeA(); } }
            }
            """, "/src/Code.cs", library.ToMetadataReference()));

        Assert.Equal(new[] { "C.B" }, graph.Nodes.Select(n => n.Name));
        Assert.Empty(graph.Edges);
    }

    /// <summary>A graph with every kind of edge: declared, ordinary, forbidden, cycle (through an unlisted lock) and sleep.</summary>
    internal static LockGraph EveryKind() => InMemory.Graph("""
        using System.Threading;
        class C
        {
            public static readonly object A = new object();
            public static readonly object B = new object();
            private readonly object _x = new object();
            private SpinLock _spin = new SpinLock(false);
            public void InOrder() { lock (A) { lock (B) { } } }
            public void Inverted() { lock (B) { lock (A) { } } }
            public void One() { lock (A) { lock (_x) { } } }
            public void Two() { lock (_x) { lock (A) { } } }
            public void Sleep()
            {
                bool taken = false;
                try { _spin.Enter(ref taken); Thread.Sleep(1); }
                finally { if (taken) _spin.Exit(); }
            }
        }
        """, TwoLocks);

    [Fact]
    public void EveryKindGraph_HasEveryKind()
    {
        var graph = EveryKind();
        Assert.All(System.Enum.GetValues<EdgeKind>(), kind => Assert.NotEmpty(graph.OfKind(kind)));
    }

    [Fact]
    public void Dot_ParsesBackToTheSameEdges_EachWithItsWitness()
    {
        var graph = EveryKind();
        var dot = DotWriter.Write(graph);
        var lines = dot.Split('\n');
        var parsed = lines.Select(l => Regex.Match(l, """^\s*(n\d+) -> (n\d+) \[class="(\w+)", color="([^"]+)", style="([^"]+)".*tooltip="((?:[^"\\]|\\.)*)"\];$"""))
            .Where(m => m.Success).ToList();
        Assert.Equal(graph.Edges.Select(e => (e.From, e.To, Styles.Of(e.Kind).Name)), parsed.Select(m => (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value)));
        Assert.All(parsed.Zip(graph.Edges), p =>
        {
            Assert.Equal(Styles.Of(p.Second.Kind).Color, p.First.Groups[4].Value);
            Assert.Equal(Styles.Of(p.Second.Kind).DotStyle, p.First.Groups[5].Value);
            Assert.Contains(p.Second.Witness.Text, p.First.Groups[6].Value, System.StringComparison.Ordinal);
        });

        // The witness is also the comment line before each edge.
        var comments = lines.Select((l, i) => (l, i)).Where(p => Regex.IsMatch(p.l, @"^\s*n\d+ -> n\d+ ")).Select(p => lines[p.i - 1].Trim()).ToList();
        Assert.Equal(graph.Edges.Select(e => "// " + e.Describe(graph)), comments);
        Assert.Equal(graph.Nodes.Count, lines.Count(l => Regex.IsMatch(l, @"^\s*n\d+ \[label=")));
    }

    [Fact]
    public void Mermaid_HasALinkAndAWitnessCommentPerEdge_AndOneLinkStylePerKind()
    {
        var graph = EveryKind();
        var lines = MermaidWriter.Write(graph).Split('\n').Select(l => l.Trim()).ToList();
        Assert.Equal("flowchart TB", lines[1]);
        var links = lines.Select((l, i) => (Match: Regex.Match(l, @"^(n\d+) (-->|-\.-) (n\d+)$"), i)).Where(p => p.Match.Success).ToList();
        Assert.Equal(graph.Edges.Select(e => (e.From, e.To)), links.Select(p => (p.Match.Groups[1].Value, p.Match.Groups[3].Value)));
        Assert.Equal(graph.Edges.Select(e => "%% " + e.Describe(graph)), links.Select(p => lines[p.i - 1]));

        // linkStyle names every link once, by its index, in its kind's colour.
        var styled = lines.Select(l => Regex.Match(l, @"^linkStyle ([\d,]+) stroke:(#[0-9a-f]{6})")).Where(m => m.Success)
            .SelectMany(m => m.Groups[1].Value.Split(',').Select(i => (Index: int.Parse(i, System.Globalization.CultureInfo.InvariantCulture), Colour: m.Groups[2].Value))).OrderBy(p => p.Index).ToList();
        Assert.Equal(Enumerable.Range(0, graph.Edges.Count), styled.Select(p => p.Index));
        Assert.Equal(graph.Edges.Select(e => Styles.Of(e.Kind).Color), styled.Select(p => p.Colour));
        Assert.Contains(lines, l => l.StartsWith("classDef spinlock ", System.StringComparison.Ordinal));
    }

    [Fact]
    public void Svg_HasAGroupWithATitlePerEdge_InItsKindsStyle()
    {
        var graph = EveryKind();
        var svg = XDocument.Parse(SvgWriter.Write(graph));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var edges = svg.Descendants(ns + "g").Where(g => ((string?)g.Attribute("class"))?.StartsWith("edge ", System.StringComparison.Ordinal) == true).ToList();
        Assert.Equal(graph.Edges.Count, edges.Count);
        Assert.Equal(graph.Edges.Select(e => ("edge " + Styles.Of(e.Kind).Name, e.Describe(graph))),
            edges.Select(g => ((string)g.Attribute("class")!, g.Element(ns + "title")!.Value)));
        Assert.All(edges.Zip(graph.Edges), p =>
        {
            var path = p.First.Element(ns + "path")!;
            var style = Styles.Of(p.Second.Kind);
            var css = ((string?)path.Attribute("style") ?? "") + ";" + string.Join(";", path.Attributes().Select(a => a.Name.LocalName + ":" + a.Value));
            Assert.Contains("stroke:" + style.Color, css, System.StringComparison.OrdinalIgnoreCase);
            Assert.Equal(style.DashArray is not null, css.Contains("stroke-dasharray", System.StringComparison.Ordinal));
        });
        var nodes = svg.Descendants(ns + "g").Where(g => ((string?)g.Attribute("class"))?.StartsWith("node ", System.StringComparison.Ordinal) == true).ToList();
        Assert.Equal(graph.Nodes.Select(n => n.Name), nodes.Select(g => g.Element(ns + "text")!.Value));
    }

    [Fact]
    public void Json_HasTheSameNodesAndEdges_WithWitnesses()
    {
        var graph = EveryKind();
        using var json = JsonDocument.Parse(JsonWriter.Write(graph));
        var nodes = json.RootElement.GetProperty("nodes").EnumerateArray().Select(n => (n.GetProperty("id").GetString()!, n.GetProperty("name").GetString()!)).ToList();
        Assert.Equal(graph.Nodes.Select(n => (n.Id, n.Name)), nodes);
        var edges = json.RootElement.GetProperty("edges").EnumerateArray().ToList();
        Assert.Equal(graph.Edges.Select(e => (e.From, e.To, Styles.Of(e.Kind).Name, e.Witness.File, e.Witness.Line, e.Witness.Chain)),
            edges.Select(e => (e.GetProperty("from").GetString()!, e.GetProperty("to").GetString()!, e.GetProperty("kind").GetString()!,
                e.GetProperty("witness").GetProperty("file").GetString()!, e.GetProperty("witness").GetProperty("line").GetInt32(), e.GetProperty("witness").GetProperty("chain").GetString()!)));
    }
}
