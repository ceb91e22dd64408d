using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using LockOrder.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// The engine reads other code through semantic models without nullable analysis where the host offers them
/// (<see cref="ReadingModels"/>). That is only a saving if nothing changes: every diagnostic must be the same as when
/// the same code is read through the compilation's own models.
/// </summary>
public class ReadingModelsTests
{
    internal const string StoreSource = """
        #nullable enable
        using System;
        using System.Collections.Generic;
        using System.Threading;
        public sealed class Store
        {
            private readonly object _a = new object();
            private readonly object _b;
            private SpinLock _spin = new SpinLock(false);
            private int _count;
            private readonly Dictionary<string, Action<string?>> _handlers = new();
            public event Action<string?>? Changed;
            public Store() { _b = new object(); }
            public object B => _b;
            public void Register(string key, Action<string?> handler) { _handlers[key] = handler; }
            public void Fire(string key, string? value)
            {
                lock (_a)
                {
                    if (_handlers.TryGetValue(key, out var handler)) handler(value);
                    Changed?.Invoke(value);
                    Bump();
                }
            }
            private void Bump() { _count++; }
            public void Peek() { Console.WriteLine(_count); }
            public void Spin()
            {
                bool taken = false;
                try { _spin.Enter(ref taken); Helper.Sleepy(null); }
                finally { if (taken) _spin.Exit(); }
            }
            public void Reverse() { lock (_b) { lock (_a) { } } }
        }
        """;

    internal const string UserSource = """
        #nullable enable
        using System.Threading;
        public static class Helper
        {
            public static readonly object Gate = new object();
            public static void Sleepy(string? s) { string t = s ?? "none"; if (t.Length > 3) Thread.Sleep(1); }
        }
        public sealed class User
        {
            private readonly Store _store = new Store();
            public User()
            {
                _store.Register("x", s => { string? t = s; lock (Helper.Gate) { } });
                _store.Changed += OnChanged;
            }
            private void OnChanged(string? s) { string t = s ?? ""; lock (Helper.Gate) { } }
        }
        """;

    internal const string Table = """
        {
          "locks": [
            { "name": "helper->gate", "kind": "mutex", "symbol": "Helper.Gate" },
            { "name": "store->a", "kind": "mutex", "symbol": "Store._a", "protects": [ "Store._count" ] },
            { "name": "store->b", "kind": "mutex", "symbol": "Store._b" },
            { "name": "store->spin", "kind": "spinlock", "symbol": "Store._spin" }
          ]
        }
        """;

    [Fact]
    public void TheTestsRoslynOffersModelsWithoutNullableAnalysis()
    {
        // The tests run Roslyn 4.14, which has SemanticModelOptions.DisableNullableAnalysis: the other tests of this
        // class compare the two kinds of model only if this finds it.
        Assert.True(ReadingModels.Available);
    }

    [Fact]
    public void AReadingModel_DoesNotRunNullableAnalysis_AndAMarkedTreeGetsTheOrdinaryModel()
    {
        var (compilation, tree, use) = MaybeNullUse("Nullable");

        Assert.Equal(NullableFlowState.None, ReadingModels.For(compilation, tree).GetTypeInfo(use).Nullability.FlowState);
        ReadingModels.UseOrdinaryModels(tree);
        Assert.Equal(NullableFlowState.MaybeNull, ReadingModels.For(compilation, tree).GetTypeInfo(use).Nullability.FlowState);
    }

    [Fact]
    public void ATreeTheDriverGaveAModelFor_IsReadThroughThatModel_InItsCompilationOnly()
    {
        var (compilation, tree, use) = MaybeNullUse("Given");
        var driver = compilation.GetSemanticModel(tree);

        ReadingModels.Given(driver);

        Assert.Same(driver, ReadingModels.For(compilation, tree));

        // The next compilation shares the unchanged tree (as an edit elsewhere leaves it): the model of the one
        // before is not read there.
        var next = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class D { }", path: "D.cs"));
        var reading = ReadingModels.For(next, tree);
        Assert.NotSame(driver, reading);
        Assert.Same(next, reading.Compilation);
        Assert.Equal(NullableFlowState.None, reading.GetTypeInfo(use).Nullability.FlowState);
        GC.KeepAlive(driver);
    }

    [Fact]
    public void ALambdaSymbol_IsTheSameKeyInBothKindsOfModel()
    {
        // The engine keys a lambda's facts by its symbol: a lambda found through one kind of model must find the
        // facts stored under the other's.
        var compilation = Compile("Lambdas", ("U.cs", UserSource), ("S.cs", StoreSource));
        var tree = compilation.SyntaxTrees.First();
        var lambda = tree.GetRoot().DescendantNodes().OfType<LambdaExpressionSyntax>().Single();

        var reading = (IMethodSymbol)ReadingModels.For(compilation, tree).GetSymbolInfo(lambda).Symbol!;
        var ordinary = (IMethodSymbol)compilation.GetSemanticModel(tree).GetSymbolInfo(lambda).Symbol!;

        Assert.Equal(MethodKind.AnonymousFunction, reading.MethodKind);
        Assert.Equal(ordinary, reading, SymbolEqualityComparer.Default);
        Assert.Equal(SymbolEqualityComparer.Default.GetHashCode(ordinary), SymbolEqualityComparer.Default.GetHashCode(reading));
    }

    [Fact]
    public async Task AcrossTrees_NullableCode_SameDiagnosticsEitherWay()
    {
        var reading = await Run(Compile("AcrossA", ("S.cs", StoreSource), ("U.cs", UserSource)), Table, ordinary: false);
        var ordinary = await Run(Compile("AcrossB", ("S.cs", StoreSource), ("U.cs", UserSource)), Table, ordinary: true);

        Assert.Equal(ordinary, reading);

        // The paths that read other trees were taken: a delegate resolved by type, one stored in an event, a callee's
        // body in another tree, the callers of a private method (Bump is called only under 'store->a', so its write
        // is not reported; Peek's read is).
        // The delegate type is named without nullable annotations, which may differ between the two kinds of model
        // when a type argument is inferred.
        Assert.Contains(reading, d => d.Contains("via Action<string> (resolved by type) -> lambda at line 13", StringComparison.Ordinal));
        Assert.Contains(reading, d => d.Contains("OnChanged", StringComparison.Ordinal));
        Assert.Contains(reading, d => d.StartsWith("LOCK002", StringComparison.Ordinal) && d.Contains("Sleepy", StringComparison.Ordinal));
        Assert.Contains(reading, d => d.StartsWith("LOCK006", StringComparison.Ordinal) && d.Contains("S.cs(26", StringComparison.Ordinal));
        Assert.DoesNotContain(reading, d => d.StartsWith("LOCK006", StringComparison.Ordinal) && d.Contains("S.cs(25", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("SampleCache.Seed")]
    [InlineData("SampleCache.Reference")]
    public async Task TheBundledSample_SameDiagnosticsEitherWay(string project)
    {
        var table = File.ReadAllText(LockTableTests.RepoFile("lockorder.json"));
        var reading = await Run(RawAnalysis.CompileSample(project, project + "A"), table, ordinary: false);
        var ordinary = await Run(RawAnalysis.CompileSample(project, project + "B"), table, ordinary: true);

        Assert.Equal(ordinary, reading);
        if (project == "SampleCache.Seed")
        {
            Assert.NotEmpty(reading);
        }
    }

    /// <summary>A nullable-enabled file and the use of a maybe-null local in it: the nullable analysis gives it a
    /// flow state (MaybeNull), a model without the analysis none.</summary>
    private static (CSharpCompilation Compilation, SyntaxTree Tree, ExpressionSyntax Use) MaybeNullUse(string assemblyName)
    {
        var compilation = Compile(assemblyName, ("C.cs", """
            #nullable enable
            class C { string? F; int M() { var s = F; return s.Length; } }
            """));
        var tree = compilation.SyntaxTrees.Single();
        return (compilation, tree, tree.GetRoot().DescendantNodes().OfType<MemberAccessExpressionSyntax>().Single().Expression);
    }

    private static CSharpCompilation Compile(string assemblyName, params (string Path, string Source)[] files)
        => RawAnalysis.CompileWithPlatform(assemblyName, files);

    /// <summary>Every diagnostic of every rule, with its message and locations, in a stable order.</summary>
    private static async Task<List<string>> Run(Compilation compilation, string table, bool ordinary)
    {
        if (ordinary)
        {
            foreach (var tree in compilation.SyntaxTrees)
            {
                ReadingModels.UseOrdinaryModels(tree);
            }
        }

        return RawAnalysis.Lines(await RawAnalysis.Run(compilation, table, AllAnalyzers.Create().ToArray()));
    }
}
