using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using Microsoft.CodeAnalysis;
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
        var source = which == "hierarchies" ? Hierarchies : File.ReadAllText(LockTableTests.RepoFile("tests/LockOrder.Tests/Corpus/Everything.cs"));
        var compilation = RawAnalysis.Compile(source, "Subtypes_" + which, allowUnsafe: true);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return compilation;
    }
}
