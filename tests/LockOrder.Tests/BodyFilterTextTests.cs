using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// The body filter reads a body's text before its nodes, and walks the nodes only when the text has something to
/// stop at. That pre-check must never change a decision: for every code block of the bundled sources, the test
/// corpus and sources written to trip a text scan, the filter decides exactly as the walk over the nodes alone does.
/// </summary>
public class BodyFilterTextTests
{
    public static IEnumerable<object[]> Sources() => OnePassTests.Sources();

    [Theory]
    [MemberData(nameof(Sources))]
    public void The_text_pre_check_decides_every_bundled_body_as_the_syntax_walk_does(string source)
    {
        var (kept, total) = Compare(OnePassTests.Compile(source));
        Assert.True(total > 20 && kept > 0 && kept < total, $"{kept} of {total} bodies kept");
    }

    /// <summary>Each of these bodies is kept by the walk for one reason only, and each reason is spelled in a way a
    /// careless text scan would miss; the members after them are skipped by both.</summary>
    private const string Tricky = """
        using System;
        using System.Collections.Generic;
        using System.Threading;

        public class Tricky
        {
            private readonly object _gate = new object();
            private readonly List<int> _items = new List<int>();

            // A local function, block-bodied, with a comment between its type and its name: nothing else to see.
            public int LocalWithComment(int x)
            {
                int // the type
                Twice(int y) { return y * 2; }
                return Twice(x);
            }

            // A local function with a generic parameter and a constraint.
            public int LocalGeneric(int x)
            {
                T Same<T>(T y) where T : struct { return y; }
                return Same(x);
            }

            // A local function in a switch section.
            public int LocalInSwitch(int x)
            {
                switch (x)
                {
                    case 1:
                        int One() { return 1; }
                        return One();
                    default:
                        return 0;
                }
            }

            // A method group, passed, with a comment before what follows it.
            public void GroupWithComment(List<int> list) => list.ForEach(Helper /* not called */);

            // A method group whose name is spelled with a Unicode escape.
            public Action GroupEscaped() => H\u0065lper2;

            // A method group after a line break and before a comma.
            public void GroupOnNextLine(List<int> list)
            {
                Run(
                    Helper
                    , 1);
            }

            // A lock API member spelled with an escape.
            public void EscapedEnter() { Monitor.\u0045nter(_gate); }

            // A protected member read with a formatting character inside its name (U+200B is not one; U+00AD is).
            public int SoftHyphen() => _it­ems.Count;

            // An anonymous method.
            public Action Anonymous() => delegate { };

            // A lambda in a property's arrow.
            public Func<int> Lambda => () => 1;

            // Skipped by both: its own arrow, a call of a source method, text that only looks like a lock.
            public int Plain() => Twice2(3);
            public string Strings() { return "lock => delegate" + nameof(Plain); }
            public int Twice2(int y) { return y * 2; }
            public string Generic() => Make<int>();
            public string Make<T>() => typeof(T).Name;
            public int Division(int a) { return a / 2; }

            private void Helper(int x) { }
            private void Helper2() { }
            private static void Run(Action<int> action, int x) => action(x);
        }
        """;

    [Fact]
    public void Sources_written_to_trip_a_text_scan_are_decided_as_the_syntax_walk_does()
    {
        var compilation = RawAnalysis.Compile(Tricky, "FilterText");
        var (kept, total) = Compare(compilation, TrickyTable);
        Assert.Equal((10, 19), (kept, total)); // The nine below and the property Lambda; 18 methods and one property arrow.
        var filter = Model(compilation, TrickyTable).Filter;
        var methods = compilation.SyntaxTrees.Single().GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().ToDictionary(m => m.Identifier.ValueText);
        foreach (var name in new[] { "LocalWithComment", "LocalGeneric", "LocalInSwitch", "GroupWithComment", "GroupEscaped", "GroupOnNextLine", "EscapedEnter", "SoftHyphen", "Anonymous" })
        {
            Assert.True(filter.MayMatter(methods[name], CancellationToken.None), name + " must be kept");
        }

        foreach (var name in new[] { "Plain", "Strings", "Twice2", "Generic", "Division" })
        {
            Assert.False(filter.MayMatter(methods[name], CancellationToken.None), name + " must be skipped");
        }
    }

    private const string TrickyTable = """
        { "locks": [ { "name": "tricky_gate", "kind": "mutex", "symbol": "Tricky._gate", "protects": [ "Tricky._items" ] } ] }
        """;

    private static LockModel Model(Compilation compilation, string? table = null)
        => LockModel.For(compilation, RawAnalysis.Options(table ?? File.ReadAllText(LockTableTests.RepoFile("lockorder.json"))), CancellationToken.None);

    /// <summary>Every code block (as the driver gives them) decided both ways; the kept count and the total.</summary>
    private static (int Kept, int Total) Compare(Compilation compilation, string? table = null)
    {
        var filter = Model(compilation, table).Filter;
        int kept = 0, total = 0;
        foreach (var tree in compilation.SyntaxTrees)
        {
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                if (node is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax || node is ArrowExpressionClauseSyntax { Parent: BasePropertyDeclarationSyntax })
                {
                    bool bySyntax = filter.DecideBySyntax(node);
                    Assert.True(bySyntax == filter.MayMatter(node, CancellationToken.None), $"{tree.FilePath}({node.GetLocation().GetLineSpan().StartLinePosition.Line + 1}): the walk says {bySyntax}");
                    total++;
                    kept += bySyntax ? 1 : 0;
                }
            }
        }

        return (kept, total);
    }
}
