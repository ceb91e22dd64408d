using System.Collections.Generic;
using System.Linq;
using LockOrder.Engine.Knowledge;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// <see cref="Constructions"/> reads the stores into a member's name from the places the tree's name index gives,
/// not by walking the type. For every type and every name it declares, in the bundled sources, the corpus and
/// sources written to trip a text search, it must find exactly the stores a walk over every node of the type finds,
/// in the walk's order.
/// </summary>
public class ConstructionStoresTests
{
    public static IEnumerable<object[]> Sources() => OnePassTests.Sources();

    [Theory]
    [MemberData(nameof(Sources))]
    public void Stores_found_from_the_name_index_are_those_a_walk_of_the_type_finds(string source)
    {
        var (names, stores) = Compare(OnePassTests.Compile(source));
        Assert.True(names > 20 && stores > 0, $"{stores} stores over {names} names");
    }

    private const string Tricky = """
        using System;
        using System.Threading;

        public partial class Tricky
        {
            private object _gate;
            private object @lock;
            private int _count;
            private Tricky? _peer;

            public Tricky(object gate) { _gate = gate; this.@lock = new object(); }

            public void Writes(Tricky other)
            {
                other._gate = new object();          // another object's member
                other._peer!._count += 1;            // a compound store, two levels down
                this._count++;                       // not an assignment
                _count = _count + 1;                 // an assignment that also reads
                Interlocked.Increment(ref _count);   // by reference
                Interlocked.Exchange(ref this._gate, new object());
                Volatile.Write(ref other._peer, null);
                var all = new[] { other };
                all[other._count = 0]._count = 2;      // the outer store's name comes after the inner one's
                _c\u006Funt = 3;                     // the name spelled with an escape
                var text = "_gate = null; _count = 1"; // in a string
                // _gate = null; in a comment
                Action set = () => _gate = text;     // in a lambda
            }

            private sealed class Nested
            {
                private object _gate = new object();
                public void Set(Tricky t) { t._gate = _gate; _gate = new object(); }
            }
        }

        public partial class Tricky
        {
            public void Again() { _gate = new object(); @lock = _gate; }
        }
        """;

    [Fact]
    public void Sources_written_to_trip_a_text_search_give_the_walk_s_stores()
    {
        var compilation = RawAnalysis.Compile(Tricky, "Stores");
        var (names, stores) = Compare(compilation);
        Assert.True(names >= 4 && stores >= 12, $"{stores} stores over {names} names");
    }

    /// <summary>Every type's declared names, both ways; the names and stores compared.</summary>
    private static (int Names, int Stores) Compare(Compilation compilation)
    {
        var constructions = new Constructions(compilation);
        int names = 0, stores = 0;
        var types = compilation.SyntaxTrees.SelectMany(t => t.GetRoot().DescendantNodes().OfType<TypeDeclarationSyntax>())
            .Select(t => (INamedTypeSymbol)compilation.GetSemanticModel(t.SyntaxTree).GetDeclaredSymbol(t)!)
            .Distinct<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        foreach (var type in types)
        {
            foreach (var name in type.GetMembers().Select(m => m.Name).Distinct())
            {
                var (assignments, foreign) = Walk(type, name);
                var found = constructions.StoresInto(type, name);
                Assert.Equal(Describe(assignments), Describe(found.Assignments));
                Assert.Equal(Describe(foreign), Describe(found.Foreign));
                names++;
                stores += assignments.Count + foreign.Count;
            }
        }

        return (names, stores);
    }

    private static List<string> Describe(IEnumerable<SyntaxNode> nodes)
        => nodes.Select(n => $"{n.SyntaxTree.FilePath}@{n.SpanStart}+{n.Span.Length}: {n}").ToList();

    /// <summary>The reference: every node of every declaration of the type, as the engine once walked them.</summary>
    private static (List<SyntaxNode> Assignments, List<SyntaxNode> Foreign) Walk(INamedTypeSymbol type, string name)
    {
        var assignments = new List<SyntaxNode>();
        var foreign = new List<SyntaxNode>();
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            foreach (var node in reference.GetSyntax().DescendantNodes())
            {
                switch (node)
                {
                    case AssignmentExpressionSyntax assignment:
                        if (NameOf(assignment.Left) == name)
                        {
                            assignments.Add(assignment);
                        }

                        if (assignment.Left is MemberAccessExpressionSyntax { Expression: not ThisExpressionSyntax } access && access.Name.Identifier.ValueText == name)
                        {
                            foreign.Add(access);
                        }

                        break;
                    case ArgumentSyntax { RefKindKeyword.RawKind: not 0, Expression: var expression }:
                        if ((NameOf(expression) ?? (expression as MemberAccessExpressionSyntax)?.Name.Identifier.ValueText) == name)
                        {
                            foreign.Add(expression);
                        }

                        break;
                }
            }
        }

        return (assignments, foreign);
    }

    private static string? NameOf(ExpressionSyntax left) => left switch
    {
        IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var n } => n.Identifier.ValueText,
        _ => null,
    };
}
