using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Knowledge;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// The pass for delegates resolved by type binds a name argument only when it may be a method group: a name the
/// syntax around it shows to be a parameter or a local is skipped (<see cref="NameUse.IsCertainlyVariable"/>), and so
/// is a name no method the compilation can see has (<see cref="MethodNames"/>). The skip must never hide a method
/// group, so every name it skips must bind to something else, and the pass must find the same methods, in the same
/// order, as when it binds every name.
/// </summary>
public class DelegatesByTypeTests
{
    /// <summary>Names in argument position in every scope the test reads, and the cases it must leave alone: a
    /// method group named like a variable of another block, a local function, a discard, a pattern variable, a
    /// switch section's local, a primary constructor's parameter, a field, a property (named like a framework method).</summary>
    private const string Scopes = """
        #nullable enable
        using System;
        using System.Collections.Generic;
        using System.IO;
        public class Scopes(int primary)
        {
            private int _field;
            private static void Take(object? o) { }
            private static void Run(Action a) { a(); }
            private static void Run(Action<int> a) { a(1); }
            private static void Run(Func<int, int> f) { f(1); }
            private static void Run(Action<int, int> a) { a(1, 2); }
            private static void Use(int n) { }
            private static void OddMethod(int n) { }
            private static void x() { }
            private static void item() { }
            private static int value(int v) => v;
            public int Property { get => value(1); set { Take(value); } }
            public int OddProperty => 2;
            public const int OddConstant = 3;
            public event Action? Changed { add { Take(value); } remove { Take(value); } }
            public int this[int index] { get { Take(index); return 0; } set { Take(value); Take(index); } }
            public Scopes() : this(0) { }
            public Scopes(string s) : this(s.Length) { Take(s); }
            public void Parameters(int p, Action a) { Take(p); Run(a); Run(x); Take(primary); Take(_field); }
            public void Blocks()
            {
                { int x = 1; Take(x); }
                Run(x);
                int later = 0;
                Take(later);
                { Take(later); }
                void OddLocalFunction(int lp) { Take(lp); Take(later); Run(item); }
                Run(OddLocalFunction);
                foreach (var item in new[] { 1 }) { Take(item); }
                Run(item);
                for (int i = 0, j = i; i < 1; i++) { Take(i); Take(j); }
                using (var stream = new MemoryStream()) { Take(stream); }
                try { } catch (Exception e) { Take(e); }
                if (this is object o) { Take(o); }
                switch (later) { case 0: int inSwitch = 1; Take(inSwitch); break; }
                Run(_ => Take(_));
                Run((_, _) => { });
                Run(value);
                Action<int> lambda = n => Take(n);
                Func<int, int> f = delegate (int d) { Take(d); return d; };
                Run(lambda);
                Run(f);
                var list = new List<int>();
                list.ForEach(Use);
                list.ForEach(OddMethod);
                list.ForEach(Scopes.OddMethod);
                list.ForEach(Console.WriteLine);
                Action<int> handler = Use;
                list.ForEach(handler.Invoke);
                Take(this._field);
                Take(Property);
                Take(this.OddProperty);
                Take(Scopes.OddConstant);
                Take(string.Empty);
                Take(list.Count);
            }
        }
        """;

    public static TheoryData<string> Sources => new() { "Scopes", "Corpus", "SampleCache.Seed", "SampleCache.Reference" };

    [Theory]
    [MemberData(nameof(Sources))]
    public void EveryNameSkipped_BindsToAVariable(string source)
    {
        var compilation = Compile(source);
        int skipped = 0;
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var name in tree.GetRoot().DescendantNodes().OfType<ArgumentSyntax>().Select(a => a.Expression).OfType<IdentifierNameSyntax>())
            {
                if (!NameUse.IsCertainlyVariable(name))
                {
                    continue;
                }

                skipped++;
                var symbol = model.GetSymbolInfo(name).Symbol;
                Assert.True(symbol is ILocalSymbol or IParameterSymbol, $"{name} at {name.GetLocation().GetLineSpan()} binds to {symbol?.Kind.ToString() ?? "nothing"}");
            }
        }

        Assert.True(skipped > 0);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void EveryArgumentThePassSkips_IsNotAMethodGroup(string source)
    {
        var compilation = Compile(source);
        var delegates = LockModel.For(compilation, RawAnalysis.Options(null), CancellationToken.None).CallGraph.Delegates;
        int skipped = 0, kept = 0;
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var argument in tree.GetRoot().DescendantNodes().OfType<ArgumentSyntax>().Select(a => a.Expression).Where(e => e is IdentifierNameSyntax or MemberAccessExpressionSyntax))
            {
                if (delegates.MayBeMethodGroup(argument))
                {
                    kept++;
                    continue;
                }

                skipped++;
                var info = model.GetSymbolInfo(argument);
                Assert.False(info.Symbol is IMethodSymbol || info.CandidateSymbols.Any(c => c is IMethodSymbol),
                    $"{argument} at {argument.GetLocation().GetLineSpan()} is a method group");
            }
        }

        Assert.True(skipped > 0 && kept > 0, $"skipped {skipped}, kept {kept}");
    }

    [Fact]
    public void TheScopeSourcesMemberAccesses_SkippedOnlyWhenNoMethodHasTheName()
    {
        var compilation = Compile("Scopes");
        var delegates = LockModel.For(compilation, RawAnalysis.Options(null), CancellationToken.None).CallGraph.Delegates;
        var accesses = compilation.SyntaxTrees.Single().GetRoot().DescendantNodes().OfType<ArgumentSyntax>().Select(a => a.Expression)
            .OfType<MemberAccessExpressionSyntax>().ToList();

        // Kept: method groups (a framework method, one of the source, a delegate's Invoke), and names some method the compilation can
        // see has, in any of the framework's assemblies this test references ('Count' is LINQ's, 'Empty' is
        // Array's): the test is by name.
        Assert.Equal("Console.WriteLine, Scopes.OddMethod, handler.Invoke, list.Count, s.Length, string.Empty",
            string.Join(", ", accesses.Where(delegates.MayBeMethodGroup).Select(a => a.ToString()).OrderBy(n => n, StringComparer.Ordinal)));

        // Skipped: a field, a property and a constant whose names no method has.
        Assert.Equal("Scopes.OddConstant, this.OddProperty, this._field",
            string.Join(", ", accesses.Where(a => !delegates.MayBeMethodGroup(a)).Select(a => a.ToString()).OrderBy(n => n, StringComparer.Ordinal)));
    }

    [Fact]
    public void TheScopesRead_AndTheCasesLeftAlone()
    {
        var tree = Compile("Scopes").SyntaxTrees.Single();
        var names = tree.GetRoot().DescendantNodes().OfType<ArgumentSyntax>().Select(a => a.Expression).OfType<IdentifierNameSyntax>()
            .Select(n => (Line: n.GetLocation().GetLineSpan().StartLinePosition.Line + 1, n.Identifier.ValueText, Variable: NameUse.IsCertainlyVariable(n)))
            .ToList();

        // Skipped: parameters (of methods, constructors, indexers, local functions, lambdas, anonymous methods), the
        // implicit 'value' of setters and event accessors, locals of enclosing blocks (also before their
        // declaration's line), foreach, for, using and catch variables.
        var certain = names.Where(n => n.Variable).Select(n => n.ValueText).Distinct().OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(new[] { "a", "d", "e", "f", "i", "index", "item", "j", "lambda", "later", "lp", "n", "p", "s", "stream", "value", "x" }, certain);

        // Bound: method groups (also one named like a block's local or a loop variable elsewhere, or 'value'
        // outside a setter), a local function, a discard, a pattern variable, a switch section's local, a primary
        // constructor's parameter, a field, a property (named like a framework method).
        var bound = names.Where(n => !n.Variable).Select(n => n.ValueText).Distinct().OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(new[] { "OddLocalFunction", "OddMethod", "Property", "Use", "_", "_field", "inSwitch", "item", "o", "primary", "value", "x" }, bound);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void SkippingVariables_FindsWhatBindingEveryNameFinds(string source)
    {
        var compilation = Compile(source);
        var delegates = LockModel.For(compilation, RawAnalysis.Options(null), CancellationToken.None).CallGraph.Delegates;

        var skipping = Flatten(delegates.ByTypeWhole());
        var everyName = Flatten(delegates.ByTypeWhole(everyName: true));

        Assert.Equal(everyName, skipping);
        Assert.NotEmpty(skipping);
    }

    private static List<string> Flatten(Dictionary<ITypeSymbol, List<Engine.Calls.StoredTarget>> byType)
        => byType.SelectMany(p => p.Value.Select((t, i) => $"{p.Key.ToDisplayString()} #{i} {t.Method.ToDisplayString()} at {t.Where.GetLineSpan()}"))
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToList();

    private static Compilation Compile(string source)
    {
        switch (source)
        {
            case "Corpus":
                return RawAnalysis.Compile(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Corpus", "Everything.cs")), "Corpus", allowUnsafe: true, path: "Everything.cs");
            case "Scopes":
                return RawAnalysis.CompileWithPlatform("Scopes", ("Scopes.cs", Scopes));
            default:
                return RawAnalysis.CompileSample(source, source);
        }
    }
}
