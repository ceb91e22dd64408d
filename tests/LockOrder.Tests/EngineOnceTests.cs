using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Engine;
using LockOrder.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace LockOrder.Tests;

/// <summary>All rules share one engine run per body per compilation, however many rules and callers ask; a body
/// nothing asks about is not analysed at all.</summary>
public class EngineOnceTests
{
    private const string Source = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        public partial class C
        {
            public static readonly object A = new object();
            public static readonly object B = new object();
            private int _value;
            public C() { lock (A) { _value = 1; } }
            public int Value { get { lock (A) { return _value; } } set { lock (A) { _value = value; } } }
            public int Twice => Value * 2;
            public void M() { lock (B) { Helper(); Generic<int>(); Value = 3; Part(); } }
            private void Helper() { Action f = () => { lock (A) { } }; f(); Local(); void Local() { Helper2(); } }
            private void Helper2() { lock (A) { } }
            public T? Generic<T>() { lock (A) { return default; } }
            partial void Part();
            public void Recurse(int n) { if (n > 0) { lock (B) { Recurse(n - 1); } } }
        }
        public partial class C
        {
            partial void Part() { lock (A) { } }
        }
        """;

    [Fact]
    public async Task EveryBodyIsAnalysedExactlyOnce_WithAllRulesRunning()
    {
        string assemblyName = "EngineOnce_" + System.Guid.NewGuid().ToString("N");
        var compilation = RawAnalysis.Compile(Source, assemblyName);
        var tree = compilation.SyntaxTrees.Single();
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var (seen, diagnostics) = await RawAnalysis.SeeingModel(assemblyName, () => RawAnalysis.Run(compilation, """
            { "locks": [ { "name": "a", "kind": "mutex", "symbol": "C.A" }, { "name": "b", "kind": "mutex", "symbol": "C.B" } ] }
            """,
            AllAnalyzers.Create().ToArray()));

        // The analysis really ran across calls: M holds b and reaches a through Helper, Generic and the setter.
        Assert.Contains(diagnostics, d => d.Id == "LOCK001" && d.GetMessage().Contains("via C.Helper", System.StringComparison.Ordinal));
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");

        Assert.NotNull(seen);
        var bodies = tree.GetRoot().DescendantNodes().Count(n =>
            n is BaseMethodDeclarationSyntax { Body: not null } or BaseMethodDeclarationSyntax { ExpressionBody: not null }
              or AccessorDeclarationSyntax { Body: not null } or AccessorDeclarationSyntax { ExpressionBody: not null }
              or PropertyDeclarationSyntax { ExpressionBody: not null });
        Assert.Equal(10, bodies);
        Assert.All(seen!.AnalyzedRoots.Values, count => Assert.Equal(1, count));

        // Every body but one: 'Twice' takes no lock, makes no delegate, touches nothing protected and is called
        // under no lock, so nothing asks for its facts (the engine's pre-filter).
        Assert.Equal(bodies - 1, seen.AnalyzedRoots.Count);
        Assert.Equal(bodies - 1, seen.BodiesAnalyzed);
        var twice = tree.GetRoot().DescendantNodes().OfType<PropertyDeclarationSyntax>().Single(p => p.Identifier.ValueText == "Twice");
        Assert.DoesNotContain(seen.AnalyzedRoots.Keys, root => twice.Span.Contains(root.Span));
    }
}
