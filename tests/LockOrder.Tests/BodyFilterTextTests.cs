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

            // A local function deep in statements: an else, a foreach, a try's finally, a using, a checked block.
            public int LocalDeep(int[] xs)
            {
                if (xs.Length == 0) { return 0; }
                else
                {
                    foreach (var x in xs)
                    {
                        try { }
                        finally
                        {
                            using (new System.IO.MemoryStream())
                            {
                                checked
                                {
                                    int Deep() { return 1; }
                                    Deep();
                                }
                            }
                        }
                    }
                }

                return 1;
            }

            // Local functions a text scan could take for something else: a verbatim keyword name, a contextual
            // keyword name, a comment before the block, a quote in a default value, inside an if and a catch
            // filter, after an object creation with an initializer, and one without a body.
            public int LocalNamedIf(int x)
            {
                if (x > 0) { x++; }
                int @if(int y) { return y; }
                return @if(x);
            }

            public int LocalNamedWhen(int x)
            {
                int when(int y) { return y; }
                return when(x);
            }

            public int LocalCommentBeforeBlock(int x)
            {
                int Inner(int y) /* the block */ { return y; }
                return Inner(x);
            }

            public int LocalQuotedDefault(int x)
            {
                string Label(string s = ")") { return s; }
                return Label().Length + x;
            }

            public int LocalInCatchFilter(int x)
            {
                try { return x; }
                catch (Exception e) when (e.Data != null)
                {
                    var list = new List<int>(4) { 1, 2 };
                    int Count() { return list.Count; }
                    return Count();
                }
            }

            public int LocalAfterInitializer(int x)
            {
                var list = new System.Collections.Generic.List<int>(x) { 1 };
                int Size<T>(List<T> l)
                    where T : struct
                { return l.Count; }
                return Size(list);
            }

            public void LocalExtern()
            {
                [System.Runtime.InteropServices.DllImport("libc")]
                static extern int getpid();
            }

            // Statements and creations that only look like a local function's header: skipped by both.
            public int OnlyStatements(int[] xs)
            {
                int total = 0;
                if (xs.Length > 0) { total++; }
                while (total < 0) { total++; }
                for (int i = 0; i < 1; i++) { total++; }
                foreach (var x in xs) { total += x; }
                using (new System.IO.MemoryStream()) { total++; }
                switch (total) { default: break; }
                try { total++; } catch (Exception) { total--; }
                var made = new Dictionary<string, List<int>>() { ["a"] = new List<int>() };
                var other = new System.Text.StringBuilder(4) { Length = 0 };
                Item item = new(1) { Size = 2 };
                return total + made.Count + other.Length + item.Size;
            }

            private sealed class Item
            {
                public Item(int size) { Size = size; }
                public int Size { get; set; }
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
        Assert.Equal((18, 31), (kept, total)); // The seventeen below and the property Lambda; of 27 methods, a constructor, two accessors and a property arrow.
        var filter = Model(compilation, TrickyTable).Filter;
        var methods = compilation.SyntaxTrees.Single().GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().ToDictionary(m => m.Identifier.ValueText);
        foreach (var name in new[] { "LocalWithComment", "LocalGeneric", "LocalInSwitch", "LocalDeep", "LocalNamedIf", "LocalNamedWhen", "LocalCommentBeforeBlock", "LocalQuotedDefault", "LocalInCatchFilter", "LocalAfterInitializer", "LocalExtern", "GroupWithComment", "GroupEscaped", "GroupOnNextLine", "EscapedEnter", "SoftHyphen", "Anonymous" })
        {
            Assert.True(filter.MayMatter(methods[name], CancellationToken.None), name + " must be kept");
        }

        foreach (var name in new[] { "Plain", "Strings", "Twice2", "Generic", "Division", "OnlyStatements" })
        {
            Assert.False(filter.MayMatter(methods[name], CancellationToken.None), name + " must be skipped");
        }
    }

    [Fact]
    public void The_local_function_text_gate_says_no_only_where_no_local_function_can_be()
    {
        var compilation = RawAnalysis.Compile(Tricky, "FilterText");
        var methods = compilation.SyntaxTrees.Single().GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().ToDictionary(m => m.Identifier.ValueText);
        foreach (var name in new[] { "LocalWithComment", "LocalGeneric", "LocalInSwitch", "LocalDeep", "LocalNamedIf", "LocalNamedWhen", "LocalCommentBeforeBlock", "LocalQuotedDefault", "LocalInCatchFilter", "LocalAfterInitializer", "LocalExtern" })
        {
            Assert.True(LockOrder.Engine.Knowledge.BodyFilter.TextMayHaveLocalFunction(methods[name]), name + " has a local function");
        }

        // Statements and creations with '{' after ')' are read as what they are; so are bodies without either.
        foreach (var name in new[] { "OnlyStatements", "Strings", "Twice2", "Division", "Plain" })
        {
            Assert.False(LockOrder.Engine.Knowledge.BodyFilter.TextMayHaveLocalFunction(methods[name]), name + " has none");
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
