using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// Every rule over a large, varied body of C# (Corpus/Everything.cs: every statement and expression kind the
/// control-flow graph lowers, under every lock primitive), with concurrent execution on as in a real build:
/// no analyzer exception, the same result on every run, and every body analysed.
/// </summary>
public class NoCrashTests
{
    internal const string Table = """
        {
          "locks": [
            { "name": "shared_gate", "kind": "mutex", "symbol": "Corpus.Shared.Gate" },
            { "name": "base->gate", "kind": "mutex", "symbol": "Corpus.Base._gate", "protects": [ "Corpus.Derived._state" ] },
            { "name": "derived->other", "kind": "mutex", "symbol": "Corpus.Derived._other" },
            { "name": "shared_spin", "kind": "spinlock", "symbol": "Corpus.Shared.Spin" }
          ]
        }
        """;

    private static Compilation CompileCorpus(string assemblyName)
    {
        var source = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Corpus", "Everything.cs"));
        var compilation = RawAnalysis.Compile(source, assemblyName, allowUnsafe: true, path: "Everything.cs");
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.Empty(errors);

        // LOCK009 is off by default: turn it on so that it runs too.
        return compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            compilation.Options.SpecificDiagnosticOptions.SetItem(RuleIds.WaitUnderSleepingLock, ReportDiagnostic.Warn)));
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeConcurrently(Compilation compilation)
    {
        var options = new CompilationWithAnalyzersOptions(
            RawAnalysis.Options(Table), onAnalyzerException: null, concurrentAnalysis: true, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: false);
        return await compilation.WithAnalyzers(AllAnalyzers.Create(), options).GetAnalyzerDiagnosticsAsync(CancellationToken.None);
    }

    [Fact]
    public async Task EveryRule_OverEveryConstruct_Concurrently_NeverThrows_AndIsDeterministic()
    {
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(() => AnalyzeConcurrently(CompileCorpus("Corpus" + i)))));
        foreach (var diagnostics in runs)
        {
            Assert.Empty(diagnostics.Where(d => d.Id == "AD0001").Select(d => d.GetMessage()));
        }

        // The rules really ran over the corpus, and every run saw the same.
        var first = Describe(runs[0]);
        Assert.Contains(first, d => d.StartsWith(RuleIds.OutOfOrder, StringComparison.Ordinal));
        Assert.Contains(first, d => d.StartsWith(RuleIds.SleepInAtomic, StringComparison.Ordinal) || d.StartsWith(RuleIds.Unprotected, StringComparison.Ordinal));
        foreach (var other in runs.Skip(1))
        {
            Assert.Equal(first, Describe(other));
        }
    }

    [Fact]
    public async Task ManyRulesAskingForTheSameBodiesAtOnce_ShareOneAnalysis()
    {
        // One compilation, every rule, concurrent execution: each body is still analysed exactly once.
        string assemblyName = "CorpusOnce_" + Guid.NewGuid().ToString("N");
        var compilation = CompileCorpus(assemblyName);
        var (seen, diagnostics) = await RawAnalysis.SeeingModel(assemblyName, () => AnalyzeConcurrently(compilation));
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        Assert.NotNull(seen);

        // Every member body of the corpus, found from its syntax, was analysed, and once.
        var bodies = compilation.SyntaxTrees.Single().GetRoot().DescendantNodes().Where(n =>
            n is BaseMethodDeclarationSyntax { Body: not null } or BaseMethodDeclarationSyntax { ExpressionBody: not null }
              or AccessorDeclarationSyntax { Body: not null } or AccessorDeclarationSyntax { ExpressionBody: not null }
              or BasePropertyDeclarationSyntax and (PropertyDeclarationSyntax { ExpressionBody: not null } or IndexerDeclarationSyntax { ExpressionBody: not null }))
            .ToList();
        Assert.Empty(bodies.Where(b => !seen.AnalyzedRoots.Keys.Any(k => k.Span.Contains(b.Span) || b.Span.Contains(k.Span))).Select(b => b.ToString().Split('\n')[0]));
        Assert.Equal(bodies.Count, seen.AnalyzedRoots.Count);
        Assert.All(seen.AnalyzedRoots.Values, count => Assert.Equal(1, count));
    }

    private static List<string> Describe(ImmutableArray<Diagnostic> diagnostics)
        => diagnostics.Select(d => $"{d.Id} {d.Location.GetLineSpan().StartLinePosition} {d.GetMessage()}").OrderBy(s => s, StringComparer.Ordinal).ToList();
}
