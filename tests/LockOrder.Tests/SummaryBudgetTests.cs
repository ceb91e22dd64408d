using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Engine;
using LockOrder.Engine.Calls;
using LockOrder.Engine.Queries;
using Microsoft.CodeAnalysis;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// A summary with no call left to spend (budget 0: the deepest methods a lock region reaches) does not ask what its
/// calls may run, since every callee's summary is empty there, and does not bind a body whose text and signature
/// say it can take no lock, block, free or run a delegate it was given. The shortcuts change no summary at any
/// budget and no diagnostic of any rule: compared with the hooks that analyse as before, over the test corpus, a
/// two-file project that takes each path across trees (a delegate resolved by type, one stored in an event, a callee
/// in another tree), and both bundled sample projects.
/// </summary>
public class SummaryBudgetTests
{
    public static IEnumerable<object[]> Sources()
    {
        yield return new object[] { "Corpus" };
        yield return new object[] { "AcrossTrees" };
        yield return new object[] { "SampleCache.Seed" };
        yield return new object[] { "SampleCache.Reference" };
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void EverySummary_AtEveryBudget_IsTheSame(string source)
    {
        var (compilation, table) = Compile(source, source + "Summaries");
        var shortcut = LockModel.Uncached(compilation, RawAnalysis.Options(table), CancellationToken.None);
        var asking = LockModel.Uncached(compilation, RawAnalysis.Options(table), CancellationToken.None);
        AnalyseAsBefore(asking);
        int fromCallees = 0, quiet = 0, actingAlone = 0;
        foreach (var method in CallersIndex.SourceMethods(compilation))
        {
            for (int budget = 0; budget <= shortcut.MaxCallDepth; budget++)
            {
                var expected = Describe(asking.Summaries.Get(method, budget, CancellationToken.None));
                var actual = Describe(shortcut.Summaries.Get(method, budget, CancellationToken.None));
                Assert.True(expected == actual, $"{method.ToDisplayString()} at budget {budget}:\n asking  {expected}\n skipping {actual}");
                fromCallees += budget == 1 && expected != Describe(asking.Summaries.Get(method, 0, CancellationToken.None)) ? 1 : 0;
            }

            quiet += shortcut.Filter.MayActAlone(method, CancellationToken.None) ? 0 : 1;
            actingAlone += Describe(asking.Summaries.Get(method, 0, CancellationToken.None)) != Describe(MethodSummary.Empty) ? 1 : 0;
        }

        // Summaries that callees make differ from the method's own, some bodies are skipped and some act alone: not an
        // agreement of bodies without calls, nor of a shortcut never taken.
        Assert.True(fromCallees > 0, "no summary takes anything from a callee");
        Assert.True(quiet > 0 && actingAlone > 0, $"{quiet} bodies skipped, {actingAlone} act alone");
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task EveryDiagnostic_IsTheSame(string source)
    {
        var (shortcutCompilation, table) = Compile(source, source + "Shortcut");
        var (askingCompilation, _) = Compile(source, source + "Asking");
        var shortcut = RawAnalysis.Lines(await RawAnalysis.Run(shortcutCompilation, table, AllAnalyzers.Create().ToArray()));
        void Ask(LockModel model)
        {
            if (model.Compilation.AssemblyName == source + "Asking")
            {
                AnalyseAsBefore(model);
            }
        }

        LockModel.Created += Ask;
        List<string> asking;
        try
        {
            asking = RawAnalysis.Lines(await RawAnalysis.Run(askingCompilation, table, AllAnalyzers.Create().ToArray()));
        }
        finally
        {
            LockModel.Created -= Ask;
        }

        Assert.Equal(asking, shortcut);
        if (source != "SampleCache.Reference")
        {
            // The corrected reference reports nothing (its table notes aside); the others report findings.
            Assert.Contains(shortcut, d => d.StartsWith("LOCK0", StringComparison.Ordinal));
        }
    }

    /// <summary>What the text and signature test lets go unbound, and what it keeps: by name (a lock statement, a
    /// lock API member, a blocking call, an invoker; by name only, so <c>List.Add</c> is kept for
    /// <c>BlockingCollection.Add</c>), by parameter type (anything that can hold a delegate), and
    /// never a lambda, nor anything in a compilation where a <c>using static</c> hides an every-method blocking
    /// type.</summary>
    [Fact]
    public void WhatABodyMayDoAlone_ReadFromItsTextAndSignature()
    {
        const string source = """
            using System;
            using System.Collections.Generic;
            using System.Threading;
            public struct Callback { public static explicit operator Action(Callback c) => () => { }; }
            public interface IJob { void Run(); }
            public class C
            {
                private readonly object _gate = new();
                private int _n;
                public int Plain(int a, string s) { _n += a; return s.ToUpperInvariant().Length + _n; }
                public void CallsOthers(List<int> list) { list.Clear(); Plain(1, "x"); }
                public void AddsByName(List<int> list) { list.Add(1); }
                public void Locks() { lock (_gate) { _n++; } }
                public void Enters() { Monitor.Enter(_gate); Monitor.Exit(_gate); }
                public void Sleeps() { Thread.Sleep(1); }
                public void Reads() { System.IO.File.ReadAllText("x"); }
                public void Invokes(Action a) { a(); }
                public void Forwards(List<int> list, Predicate<int> p) { list.RemoveAll(p); }
                public void TakesObject(object o) { }
                public void TakesInterface(IJob job) { }
                public void TakesConvertible(Callback c) { }
                public void TakesGeneric<T>(T value) { }
                public void Mentions() { /* lock */ _n++; }
                public int Arrow => _n;
            }
            """;
        var compilation = RawAnalysis.CompileWithPlatform("Alone", ("C.cs", source));
        var filter = LockModel.Uncached(compilation, RawAnalysis.Options(null), CancellationToken.None).Filter;
        var type = compilation.GetTypeByMetadataName("C")!;
        var verdicts = type.GetMembers().OfType<IMethodSymbol>().Where(m => m.MethodKind is MethodKind.Ordinary or MethodKind.PropertyGet)
            .Select(m => m.Name + (filter.MayActAlone(m, CancellationToken.None) ? " acts" : " quiet")).ToList();
        Assert.Equal(
            new[]
            {
                "Plain quiet", "CallsOthers quiet", "AddsByName acts", "Locks acts", "Enters acts", "Sleeps acts", "Reads acts", "Invokes acts", "Forwards acts",
                "TakesObject acts", "TakesInterface acts", "TakesConvertible acts", "TakesGeneric acts", "Mentions acts", "get_Arrow quiet",
            },
            verdicts);

        // A using static of an every-method blocking type can hide its name at the call: nothing is quiet then.
        var hidden = RawAnalysis.CompileWithPlatform("AloneHidden", ("C.cs", source), ("U.cs", "using static System.IO.File; public static class U { public static void Quiet(int a) { } }"));
        var hiddenFilter = LockModel.Uncached(hidden, RawAnalysis.Options(null), CancellationToken.None).Filter;
        Assert.True(hiddenFilter.MayActAlone(hidden.GetTypeByMetadataName("C")!.GetMembers("Plain").OfType<IMethodSymbol>().Single(), CancellationToken.None));
    }

    private static void AnalyseAsBefore(LockModel model)
    {
        model.Summaries.SkipCalleesWithoutBudget = false;
        model.Summaries.SkipQuietBodiesWithoutBudget = false;
    }

    private static (Compilation Compilation, string? Table) Compile(string source, string assemblyName) => source switch
    {
        "Corpus" => (RawAnalysis.Compile(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Corpus", "Everything.cs")), assemblyName, allowUnsafe: true, path: "Everything.cs"), NoCrashTests.Table),
        "AcrossTrees" => (RawAnalysis.CompileWithPlatform(assemblyName, ("S.cs", ReadingModelsTests.StoreSource), ("U.cs", ReadingModelsTests.UserSource)), ReadingModelsTests.Table),
        _ => (RawAnalysis.CompileSample(source, assemblyName), File.ReadAllText(LockTableTests.RepoFile("lockorder.json"))),
    };

    /// <summary>Everything a summary says, in the order it says it.</summary>
    private static string Describe(MethodSummary summary)
    {
        static string Chain(Chain chain) => string.Join(" -> ", chain.Steps.Items.Select(s => s.Text + "@" + RawAnalysis.Where(s.Location)));
        static string Classes(IEnumerable<Engine.Model.LockClass> classes) => string.Join(",", classes.Select(c => c.Display).OrderBy(d => d, StringComparer.Ordinal));
        static string Witness(Witness? w) => w is null ? "-" : Chain(w.Chain) + " dropping " + Classes(w.Dropped);
        var acquires = summary.Acquires.Select(a =>
            $"{a.Class.Display} wait={a.MayWait} try={a.IsTry} {a.Place} {a.Mode} back={a.Back?.ToDisplayString()} needs={(a.Needs is null ? "?" : string.Join(",", a.Needs.Select(n => n.ToDisplayString()).OrderBy(n => n, StringComparer.Ordinal)))} dropping {Classes(a.Dropped)} via {Chain(a.Chain)}");
        return "acquires [" + string.Join("; ", acquires) + "] sleeps " + Witness(summary.SleepWitness) + " waits " + Witness(summary.WaitWitness)
               + " invokes [" + string.Join(",", summary.InvokedParameters.OrderBy(i => i)) + "] frees ["
               + string.Join("; ", summary.FreedParameters.OrderBy(p => p.Key).Select(p => p.Key + " via " + Chain(p.Value))) + "] runs under ["
               + string.Join("; ", summary.InvokedUnder.OrderBy(p => p.Key).Select(p => p.Key + ": " + Classes(p.Value.Select(h => h.Class)))) + "]";
    }
}
