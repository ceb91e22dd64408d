using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// The overrides and implementations of a method of the compilation's own types, found from its subtypes by name,
/// are the ones the walk over every type finds: for every overridable or interface method of a compilation made to
/// hold every way a type can derive from another (generic, nested, partial, qualified, through aliases and
/// aliases of aliases, records, structs, explicit and default interface implementations, implementations inherited
/// from a base class), and of the test corpus. (The bundled sample has one overridable method and no subtypes.)
/// </summary>
public class SubtypesTests
{
    private const string Hierarchies = """
        using System;
        using StoreAlias = Shapes.IStore;
        public abstract class GlobalBase { public abstract void Go(); }
        namespace Shapes
        {
            public class ViaGlobalAlias : global::GlobalBase { public override void Go() { } }
            public interface IStore { void Save(); int Load(int x); }
            public interface IDisk : IStore { void Spin(); }
            public interface IDefault { void Run() { } void Stop(); }
            public interface IGeneric<T> { T Get(); void Put(T value); }
            public abstract class Base { public abstract void Save(); public virtual int Load(int x) => x; public virtual void Spin() { } }
            public class Mid : Base, IDisk { public override void Save() { } public void Spin2() { } }
            public sealed class Leaf : Mid { public override void Save() { } public override int Load(int x) => 2; public override void Spin() { } }
            public class Explicit : IStore { void IStore.Save() { } int IStore.Load(int x) => x; }
            public class FromBase : Base { public override void Save() { } }
            public sealed class Inherits : FromBase, IStore { }
            public partial class Split { }
            public partial class Split : IDefault { public void Stop() { } }
            public struct Value : IStore, IGeneric<int> { public void Save() { } public int Load(int x) => x; public int Get() => 0; public void Put(int value) { } }
            public class Twice : IGeneric<int>, IGeneric<string> { public int Get() => 0; string IGeneric<string>.Get() => ""; public void Put(int value) { } public void Put(string value) { } }
            public abstract record Shape(int X) { public abstract double Area(); public virtual string Name() => "shape"; }
            public record Circle(int X) : Shape(X) { public override double Area() => 3; }
            public sealed record Dot(int X) : Circle(X) { public override double Area() => 0; public override string Name() => "dot"; }
            public class Outer { public class Inner : Base { public override void Save() { } } public class Generic<T> { public virtual T Make() => default!; } }
            public class Closed : Outer.Generic<int> { public override int Make() => 1; }
            public class ViaGlobal : global::Shapes.Base { public override void Save() { } }
            public class Node { public override string ToString() => "node"; }
            public class MidNode : Node { }
            public class LeafNode : MidNode, IComparable<LeafNode> { public override int GetHashCode() => 1; public override bool Equals(object? o) => false; public int CompareTo(LeafNode? other) => 0; }
            public class Resource : IDisposable { public void Dispose() { } }
            public class Handle { public void Dispose() { } }
            public sealed class OwnedHandle : Handle, IResource { }
            public interface IResource : IDisposable { }
            public abstract class Sink : System.IO.Stream { public override void Flush() { } }
            public class NullSink : Sink { public override bool CanRead => false; public override bool CanSeek => false; public override bool CanWrite => true; public override long Length => 0; public override long Position { get; set; } public override int Read(byte[] b, int o, int c) => 0; public override long Seek(long o, System.IO.SeekOrigin r) => 0; public override void SetLength(long v) { } public override void Write(byte[] b, int o, int c) { } }
        }
        namespace Aliased
        {
            using B = Shapes.Base;
            namespace Deeper
            {
                using C = B;
                public class Far : C { public override void Save() { } }
            }
            public class Near : StoreAlias { public void Save() { } public int Load(int x) => x; }
            public class DefaultOverride : Shapes.IDefault { void Shapes.IDefault.Run() { } public void Stop() { } }
        }
        """;

    public static IEnumerable<object[]> Compilations()
    {
        yield return new object[] { "hierarchies" };
        yield return new object[] { "corpus" };
    }

    /// <summary>A base class whose subtypes are spread over three trees, one naming it through an alias after a
    /// subtype that names it directly: the order found is the trees' order, then within a tree the name's before
    /// the alias's.</summary>
    private static readonly (string Path, string Source)[] Trees =
    {
        ("A.cs", "public class Base { public virtual void Go() { } } public class Z1 : Base { public override void Go() { } }"),
        ("B.cs", "using Al = Base; public class Z2 : Al { } public class Z3 : Base { } public struct Z5 : IMark { }"),
        ("C.cs", "public class Z0 : Base { } public interface IMark { } public class Z4 : Z0, IMark { }"),
    };

    [Theory]
    [MemberData(nameof(Compilations))]
    public void ByName_AgreesWithTheWalkOverEveryType(string which)
    {
        var compilation = Compile(which);
        var model = LockModel.For(compilation, RawAnalysis.Options(null), CancellationToken.None);
        var methods = Methods(compilation.Assembly.GlobalNamespace)
            .Where(m => m.IsVirtual || m.IsAbstract || m.IsOverride || m.ContainingType.TypeKind == TypeKind.Interface)
            .ToList();
        Assert.NotEmpty(methods);
        int withImplementations = 0;
        foreach (var method in methods)
        {
            var byName = model.CallGraph.Direct(method)?.Select(Display).OrderBy(s => s, System.StringComparer.Ordinal).ToList() ?? new List<string>();
            var byWalk = model.CallGraph.DirectFromEveryType(method)?.Select(Display).OrderBy(s => s, System.StringComparer.Ordinal).ToList() ?? new List<string>();
            Assert.True(byWalk.SequenceEqual(byName), $"{Display(method)}: walk [{string.Join(", ", byWalk)}], by name [{string.Join(", ", byName)}]");
            withImplementations += byWalk.Count > 0 ? 1 : 0;
        }

        // The compilations do hold hierarchies: not an agreement of empty answers.
        Assert.True(withImplementations > (which == "hierarchies" ? 24 : 4), $"{withImplementations} of {methods.Count} methods have implementations");
    }

    /// <summary>For a method of another assembly (<c>object.ToString</c>, <c>Stream.Flush</c>,
    /// <c>IDisposable.Dispose</c>), what a call on a receiver of each type of the compilation is answered with, from
    /// that type's subtypes and base classes, is the walk's answer narrowed to those types.</summary>
    [Theory]
    [MemberData(nameof(Compilations))]
    public void ByReceiver_AgreesWithTheWalkNarrowedToTheTypesBehindTheReceiver(string which)
    {
        var compilation = Compile(which);
        var model = LockModel.For(compilation, RawAnalysis.Options(null), CancellationToken.None);
        var types = Types(compilation.Assembly.GlobalNamespace).Where(t => t.TypeKind is TypeKind.Class or TypeKind.Struct or TypeKind.Interface).ToList();
        var foreign = types.SelectMany(t => t.GetMembers().OfType<IMethodSymbol>())
            .SelectMany(m => Overridden(m))
            .Concat(types.SelectMany(t => t.AllInterfaces).SelectMany(i => i.OriginalDefinition.GetMembers().OfType<IMethodSymbol>()))
            .Where(m => !SymbolEqualityComparer.Default.Equals(m.ContainingAssembly, compilation.Assembly))
            .Distinct(SymbolEqualityComparer.Default).Cast<IMethodSymbol>().ToList();
        int nonEmpty = 0;
        foreach (var method in foreign)
        {
            var walk = model.CallGraph.DirectFromEveryType(method) ?? new List<IMethodSymbol>();
            foreach (var receiver in types)
            {
                var behind = Behind(receiver, types);
                var runs = new HashSet<IMethodSymbol>(behind.SelectMany(t => Runs(t, method)), SymbolEqualityComparer.Default);
                var expected = walk.Where(m => behind.Contains(m.ContainingType.OriginalDefinition) || runs.Contains(m)).Select(Display).OrderBy(x => x, System.StringComparer.Ordinal).ToList();
                var actual = (model.CallGraph.DirectFor(method, receiver) ?? new List<IMethodSymbol>()).Select(Display).OrderBy(x => x, System.StringComparer.Ordinal).ToList();
                Assert.True(expected.SequenceEqual(actual), $"{Display(method)} on {receiver.ToDisplayString()}: walk narrowed [{string.Join(", ", expected)}], by receiver [{string.Join(", ", actual)}]");
                nonEmpty += expected.Count > 0 ? 1 : 0;
            }
        }

        Assert.True(nonEmpty > (which == "hierarchies" ? 30 : 2), $"{nonEmpty} non-empty answers for {foreign.Count} methods");
    }

    /// <summary>The subtypes of each type, found from the declarations' base lists gathered per tree, are the ones a
    /// walk over every node of every tree finds for the same names (the type's, then its aliases'), in the same
    /// order: generation by generation, the trees in the compilation's order, within a tree the type's name before an
    /// alias's, each in text order (the order decides which of two equal witnesses a chain shows).</summary>
    [Theory]
    [MemberData(nameof(Compilations))]
    [InlineData("trees")]
    public void Subtypes_AreFoundInTheOrderOfAWalkOverEveryNode(string which)
    {
        var compilation = Compile(which);
        var subtypes = new LockOrder.Engine.Calls.Subtypes(compilation);
        var aliases = compilation.SyntaxTrees.SelectMany(t => t.GetRoot().DescendantNodes().OfType<UsingDirectiveSyntax>())
            .Where(u => u.Alias is not null && Last(u.NamespaceOrType) is not null)
            .Select(u => (Alias: u.Alias!.Name.Identifier.ValueText, Target: Last(u.NamespaceOrType)!)).ToList();
        int withSubtypes = 0;
        foreach (var type in Types(compilation.Assembly.GlobalNamespace))
        {
            var expected = WalkOverEveryNode(compilation, type, aliases).Select(t => t.ToDisplayString()).ToList();
            var actual = subtypes.Of(type, CancellationToken.None)?.Select(t => t.ToDisplayString()).ToList();
            Assert.True(actual is not null && expected.SequenceEqual(actual), $"{type.ToDisplayString()}: walk [{string.Join(", ", expected)}], by base lists [{string.Join(", ", actual ?? new List<string>())}]");
            withSubtypes += expected.Count > 1 ? 1 : 0;
        }

        Assert.True(withSubtypes >= (which == "hierarchies" ? 12 : 2), $"{withSubtypes} types have subtypes");
        if (which == "trees")
        {
            var root = compilation.GetTypeByMetadataName("Base")!;
            Assert.Equal(new[] { "Base", "Z1", "Z3", "Z2", "Z0", "Z4" }, subtypes.Of(root, CancellationToken.None)!.Select(t => t.Name));
        }
    }

    private static List<INamedTypeSymbol> WalkOverEveryNode(Compilation compilation, INamedTypeSymbol type, List<(string Alias, string Target)> aliases)
    {
        var found = new List<INamedTypeSymbol> { type.OriginalDefinition };
        var seen = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default) { type.OriginalDefinition };
        for (int next = 0; next < found.Count; next++)
        {
            var named = found[next];
            var names = new List<string> { named.Name };
            for (int n = 0; n < names.Count; n++)
            {
                names.AddRange(aliases.Where(a => a.Target == names[n] && !names.Contains(a.Alias)).Select(a => a.Alias).Distinct().ToList());
            }

            foreach (var tree in compilation.SyntaxTrees)
            {
                var model = compilation.GetSemanticModel(tree);
                var declarations = tree.GetRoot().DescendantNodes().OfType<BaseTypeSyntax>()
                    .Where(b => b.Parent is BaseListSyntax { Parent: BaseTypeDeclarationSyntax } && Last(b.Type) is { } last && names.Contains(last))
                    .OrderBy(b => names.IndexOf(Last(b.Type)!)).ThenBy(b => b.SpanStart)
                    .Select(b => (BaseTypeDeclarationSyntax)b.Parent!.Parent!);
                foreach (var declaration in declarations)
                {
                    if (model.GetDeclaredSymbol(declaration) is INamedTypeSymbol derived && Derives(derived, named) && seen.Add(derived.OriginalDefinition))
                    {
                        found.Add(derived.OriginalDefinition);
                    }
                }
            }
        }

        return found;
    }

    private static string? Last(TypeSyntax type) => type switch
    {
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax aliased => aliased.Name.Identifier.ValueText,
        _ => null,
    };

    /// <summary>What <paramref name="type"/> runs for an interface member, wherever it is declared (a base class
    /// that does not implement the interface, say).</summary>
    private static IEnumerable<IMethodSymbol> Runs(INamedTypeSymbol type, IMethodSymbol method)
        => type.AllInterfaces.Where(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, method.ContainingType.OriginalDefinition))
            .SelectMany(i => i.GetMembers(method.Name).OfType<IMethodSymbol>())
            .Where(m => SymbolEqualityComparer.Default.Equals(m.OriginalDefinition, method))
            .Select(m => type.FindImplementationForInterfaceMember(m)).OfType<IMethodSymbol>().Select(m => m.OriginalDefinition);

    private static IEnumerable<IMethodSymbol> Overridden(IMethodSymbol method)
    {
        for (var overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            yield return overridden.OriginalDefinition;
        }
    }

    /// <summary>The types an instance behind a receiver of <paramref name="receiver"/> can be, with the base classes
    /// whose methods it inherits, computed from the symbols alone.</summary>
    private static HashSet<INamedTypeSymbol> Behind(INamedTypeSymbol receiver, List<INamedTypeSymbol> types)
    {
        var behind = new HashSet<INamedTypeSymbol>(types.Where(t => Derives(t, receiver)), SymbolEqualityComparer.Default);
        for (var b = receiver.BaseType; b is not null && types.Contains(b.OriginalDefinition, SymbolEqualityComparer.Default); b = b.BaseType)
        {
            behind.Add(b.OriginalDefinition);
        }

        return behind;
    }

    private static bool Derives(INamedTypeSymbol type, INamedTypeSymbol ancestor)
    {
        if (SymbolEqualityComparer.Default.Equals(type, ancestor) || type.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, ancestor)))
        {
            return true;
        }

        for (var b = type.BaseType; b is not null; b = b.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(b.OriginalDefinition, ancestor))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<INamedTypeSymbol> Types(INamespaceOrTypeSymbol container)
    {
        foreach (var member in container.GetMembers())
        {
            if (member is INamedTypeSymbol type)
            {
                yield return type;
            }

            if (member is INamespaceOrTypeSymbol nested)
            {
                foreach (var inner in Types(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    private static string Display(IMethodSymbol method) => method.ToDisplayString();

    private static IEnumerable<IMethodSymbol> Methods(INamespaceOrTypeSymbol container)
    {
        foreach (var member in container.GetMembers())
        {
            if (member is INamespaceOrTypeSymbol nested)
            {
                foreach (var method in Methods(nested))
                {
                    yield return method;
                }
            }
            else if (member is IMethodSymbol method)
            {
                yield return method;
            }
        }
    }

    private static Compilation Compile(string which)
    {
        if (which == "trees")
        {
            return RawAnalysis.CompileWithPlatform("Subtypes_trees", Trees);
        }

        var source = which == "hierarchies" ? Hierarchies : File.ReadAllText(LockTableTests.RepoFile("tests/LockOrder.Tests/Corpus/Everything.cs"));
        var compilation = RawAnalysis.Compile(source, "Subtypes_" + which, allowUnsafe: true);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return compilation;
    }
}
