using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Engine;
using LockOrder.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;
using V = LockOrder.Tests.Verify<LockOrder.Rules.ProtectedMemberAnalyzer>;

namespace LockOrder.Tests;

/// <summary>
/// What a build or a keystroke pays for: a body is bound only when its syntax may matter (the body filter), and the
/// callers a rule asks about are found from the bodies that name the method, not from every body of the project,
/// unless the method escapes as a delegate or is called by the language without its name.
/// </summary>
public class DemandTests
{
    internal const string Table = """
        {
          "locks": [ { "name": "tcon->tc_lock", "kind": "spinlock", "symbol": "Tcon.TcLock", "protects": [ "Tcon.TcCount" ] } ]
        }
        """;

    private const string FilterSource = """
        using System;
        using System.IO;
        using System.Threading;
        public sealed class Tcon
        {
            public readonly object TcLock = new object();
            public int TcCount;
            private static readonly object Gate = new object();
            public static void Run(Action action) { action(); }
            public static void Work() { }
            public static int Plain(int x) { int y = x * 2; return y + Math.Abs(x); }
            public static void CallsWork() { Work(); Plain(3); }
            public static void PassesALocal(int x) { Console.WriteLine(x); }
            public static string NameOfWork() => nameof(Work);
            public static void LockStatement() { lock (Gate) { } }
            public static void MonitorCall() { Monitor.Enter(Gate); Monitor.Exit(Gate); }
            public static void Lambda() { Run(() => { }); }
            public static void MethodGroup() { Run(Work); }
            public static void BlockingGroup() { Action<int> sleep = Thread.Sleep; }
            public static void FileGroup() { Func<string, bool> exists = File.Exists; }
            public int Protected() => TcCount;
            public static void LocalFunction() { void Local() { } Local(); }
        }
        """;

    [Theory]
    [InlineData("Plain", false)]
    [InlineData("CallsWork", false)]
    [InlineData("PassesALocal", false)]
    [InlineData("NameOfWork", false)]
    [InlineData("LockStatement", true)]
    [InlineData("MonitorCall", true)]
    [InlineData("Lambda", true)]
    [InlineData("MethodGroup", true)]
    [InlineData("BlockingGroup", true)]
    [InlineData("FileGroup", true)]
    [InlineData("Protected", true)]
    [InlineData("LocalFunction", true)]
    public void BodyFilter_BindsOnlyWhatMayTakeALockMakeADelegateOrTouchAProtectedMember(string method, bool bound)
    {
        var compilation = RawAnalysis.Compile(FilterSource, "Filter_" + method);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var model = LockModel.For(compilation, RawAnalysis.Options(Table), CancellationToken.None);
        var syntax = compilation.SyntaxTrees.Single().GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.ValueText == method);
        Assert.Equal(bound, model.Filter.MayMatter(syntax, CancellationToken.None));
    }

    [Fact]
    public void Table_IsReadOncePerText_NotOncePerCompilation()
    {
        // A keystroke makes a new compilation; the table file's text is the same object until the file changes.
        var options = RawAnalysis.Options(Table);
        var before = RawAnalysis.Compile(FilterSource, "Table_Once");
        var tree = before.SyntaxTrees.Single();
        var after = before.ReplaceSyntaxTree(tree, tree.WithChangedText(tree.GetText().WithChanges(new Microsoft.CodeAnalysis.Text.TextChange(new Microsoft.CodeAnalysis.Text.TextSpan(0, 0), "// edit\n"))));
        var first = LockModel.For(before, options, CancellationToken.None);
        var second = LockModel.For(after, options, CancellationToken.None);
        Assert.NotSame(first, second);
        Assert.Same(first.Table, second.Table);

        // An edited table is read again, and what it says now is what the model knows.
        var edited = RawAnalysis.Options(Table.Replace("\"Tcon.TcCount\"", "\"Tcon.Other\""));
        var third = LockModel.For(RawAnalysis.Compile(FilterSource, "Table_Edited"), edited, CancellationToken.None);
        Assert.NotSame(first.Table, third.Table);
        Assert.True(first.Table.ProtectedBy.ContainsKey("Tcon.TcCount"));
        Assert.False(third.Table.ProtectedBy.ContainsKey("Tcon.TcCount"));
        Assert.True(third.Table.ProtectedBy.ContainsKey("Tcon.Other"));
    }

    [Fact]
    public Task MethodGroupInABodyWithNothingElse_StillReportsTheSleepUnderTheRunnersSpinlock()
        => Verify<SleepInAtomicAnalyzer>.WithTable("""
            using System;
            using System.Threading;
            public sealed class Tcon
            {
                public readonly object TcLock = new object();
                private SpinLock _spin = new SpinLock(false);
                public void UnderSpin(Action action) { bool taken = false; try { _spin.Enter(ref taken); action(); } finally { if (taken) _spin.Exit(); } }
                private static void Nap() { Thread.Sleep(1); }
                public void Caller() { {|LOCK002:UnderSpin(Nap)|}; }
            }
            """, Table);

    [Fact]
    public async Task CallersByName_AnswersWithoutAnalysingTheWholeCompilation()
    {
        var (model, diagnostics) = await Analyse("""
            public sealed class Tcon
            {
                public readonly object TcLock = new object();
                public int TcCount;
                private int Tally() => TcCount;
                public int Sum() { lock (TcLock) { return Tally() + 1; } }
                public static int Other(int x) => x + 1;
            }
            public interface IFoo { int Bar(); }
            public sealed class Foo : IFoo
            {
                private readonly Tcon _t = new Tcon();
                int IFoo.Bar() => _t.TcCount;
                public int Baz { get { return _t.TcCount; } }
                public int Use(IFoo f) { lock (_t.TcLock) { return f.Bar() + Baz; } }
            }
            """);
        Assert.DoesNotContain(diagnostics, d => d.Id is "LOCK006" or "AD0001");
        Assert.False(model.Callers().WholeBuilt);
    }

    [Theory]
    [InlineData("Action a = Tally; a();", "a method group")]
    [InlineData("using (var d = new Disposer(this)) { }", "an implicit Dispose")]
    public async Task CallersThatDoNotNameTheMethod_AreFoundByTheWholeIndex(string unlockedCaller, string why)
    {
        var (model, diagnostics) = await Analyse($$"""
            using System;
            public sealed class Tcon
            {
                public readonly object TcLock = new object();
                public int TcCount;
                private void Tally() { TcCount++; }
                public void Locked() { lock (TcLock) { Tally(); } }
                public void Unlocked() { {{unlockedCaller}} }
            }
            public sealed class Disposer : IDisposable
            {
                private readonly Tcon _t;
                public Disposer(Tcon t) { _t = t; }
                public void Dispose() { _t.TcCount--; }
            }
            """);
        Assert.True(model.Callers().WholeBuilt, why);
        Assert.Contains(diagnostics, d => d.Id == "LOCK006");
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }

    [Fact]
    public Task ExplicitInterfaceImplementation_CalledWithoutTheLockThroughTheInterface_IsReported()
        => V.WithTable("""
            public sealed class Tcon { public readonly object TcLock = new object(); public int TcCount; }
            public interface IFoo { int Bar(); }
            public sealed class Foo : IFoo
            {
                private readonly Tcon _t = new Tcon();
                int IFoo.Bar() => {|LOCK006:_t.TcCount|};
                public int Locked(IFoo f) { lock (_t.TcLock) { return f.Bar(); } }
            }
            public static class Elsewhere
            {
                public static int Unlocked(IFoo f) => f.Bar();
            }
            """, Table);

    [Fact]
    public Task PublicMethodOfAPrivateNestedType_CalledThroughItsInterfaceFromAnotherType_IsReported()
        => V.WithTable("""
            public sealed class Tcon { public readonly object TcLock = new object(); public int TcCount; }
            public interface IFoo { int Bar(); }
            public sealed class Outer
            {
                private readonly Tcon _t = new Tcon();
                private sealed class Hidden : IFoo
                {
                    private readonly Tcon _t;
                    public Hidden(Tcon t) { _t = t; }
                    public int Bar() => {|LOCK006:_t.TcCount|};
                }
                public IFoo Make() => new Hidden(_t);
                public int Locked() { lock (_t.TcLock) { return new Hidden(_t).Bar(); } }
            }
            public static class Elsewhere
            {
                public static int Unlocked(IFoo f) => f.Bar();
            }
            """, Table);

    private const string DelegateTcon = """
            using System;
            using System.Threading;
            public sealed class Tcon
            {
                public readonly object TcLock = new object();
                public int TcCount;
            }

        """;

    /// <summary>What a delegate-typed member holds is found from the places that name it: every way of storing into
    /// it is found, a member of the same name elsewhere is not confused with it, and no pass over every tree is made
    /// for it (only a delegate resolved by type needs one).</summary>
    [Theory]
    [InlineData("public event Action? Changed; public Source(Listener l) { Changed += l.Sleep; }", "Changed?.Invoke()", "an event subscription")]
    [InlineData("public Action? Changed; public Source(Listener l) { this.Changed = l.Sleep; }", "Changed?.Invoke()", "an assignment through this")]
    [InlineData("public Action? Changed; public Source(Listener l) { (Changed) = l.Sleep; }", "Changed!()", "an assignment in parentheses")]
    [InlineData("public Action Changed = Listener.SleepStatic;", "Changed()", "a field initializer")]
    [InlineData("public Action Changed { get; } = Listener.SleepStatic;", "Changed()", "a property initializer")]
    [InlineData("public Action? Changed; public static void Hook(Source s, Listener l) { s.Changed += l.Sleep; }", "Changed?.Invoke()", "a store through another object")]
    [InlineData("public Action? Changed; public Source() { Changed = () => Thread.Sleep(1); }", "Changed?.Invoke()", "a lambda")]
    public async Task StoredDelegates_AreFoundByName_WithoutAPassOverEveryTree(string member, string raise, string how)
    {
        var (model, diagnostics) = await Analyse(DelegateTcon + $$"""
            public sealed class Source
            {
                private readonly Tcon _t = new Tcon();
                {{member}}
                public void Raise() { lock (_t.TcLock) { {{raise}}; } }
            }
            public sealed class Listener
            {
                public void Sleep() { Thread.Sleep(1); }
                public static void SleepStatic() { Thread.Sleep(1); }
            }
            public sealed class Other
            {
                public Action? Changed;
                public void Quiet() { Changed = Quiet; Changed(); }
            }
            """, new SleepInAtomicAnalyzer());
        Assert.Contains(diagnostics, d => d.Id == "LOCK002" && d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("may sleep", System.StringComparison.Ordinal));
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        Assert.False(model.CallGraph.Delegates.ByTypeBuilt, how);
    }

    [Fact]
    public async Task StoredDelegates_AMemberOfTheSameNameElsewhere_IsNotConfusedWithIt()
    {
        var (model, diagnostics) = await Analyse(DelegateTcon + """
            public sealed class Source
            {
                private readonly Tcon _t = new Tcon();
                public Action? Changed;
                public void Raise() { lock (_t.TcLock) { Changed?.Invoke(); } }
            }
            public sealed class Other
            {
                public Action? Changed;
                public Other() { Changed = Sleep; this.Changed += Sleep; }
                private static void Sleep() { Thread.Sleep(1); }
            }
            """, new SleepInAtomicAnalyzer());
        Assert.DoesNotContain(diagnostics, d => d.Id is "LOCK002" or "AD0001");
        Assert.False(model.CallGraph.Delegates.ByTypeBuilt);
    }

    [Fact]
    public async Task ADelegateResolvedByType_MakesThePassOverEveryTree()
    {
        var (model, diagnostics) = await Analyse("""
            using System;
            using System.Collections.Generic;
            using System.Threading;
            public sealed class Tcon
            {
                public readonly object TcLock = new object();
                public int TcCount;
                private readonly Dictionary<string, Action<int>> _handlers = new Dictionary<string, Action<int>>();
                public Tcon() { _handlers["x"] = n => Thread.Sleep(n); }
                public void Fire(string key) { lock (TcLock) { if (_handlers.TryGetValue(key, out var handler)) handler(1); } }
            }
            """, new SleepInAtomicAnalyzer());
        Assert.Contains(diagnostics, d => d.Id == "LOCK002");
        Assert.True(model.CallGraph.Delegates.ByTypeBuilt);
    }


    /// <summary>What a delegate type may stand for is read a tree at a time, only as far as the question needs: a type
    /// more than <see cref="LockOrder.Engine.Calls.DelegateIndex.MaxByType"/> methods are converted to is settled
    /// (nothing) in the tree where the one more is found; a type few are converted to reads every tree. The answers
    /// are the pass over every tree's, for every delegate type of the compilation, in the same order.</summary>
    [Fact]
    public void DelegatesByType_ReadTreesOnlyAsFarAsTheQuestionNeeds_AndAgreeWithTheWholePass()
    {
        var many = "using System; public static class Many { static void Run(Action a) { a(); } "
            + string.Concat(Enumerable.Range(0, 9).Select(i => $"static void M{i}() {{ }} ")) + "public static void Go() { "
            + string.Concat(Enumerable.Range(0, 9).Select(i => $"Run(M{i}); ")) + "} }";
        var sources = new[]
        {
            many,
            "using System; using System.Linq; public static class Two { public static void Go() { Action a = () => { }; a(); Func<int> f = () => 1; f(); _ = new[] { \"a\" }.Where(s => s.Length > 0).Count(); _ = new System.Collections.Generic.List<int>().Find(x => x > 0); } }",
            "using System; public delegate void Rare(int x); public static class Three { public static void Take(Rare r) { r(1); } public static void Go() { Take(x => { }); Take(Four.Handle); } }",
            "using System; public static class Four { public static void Handle(int x) { } public static void Go() { Action<int> a = Handle; a(1); Three.Take(y => { }); } }",
        };
        var first = RawAnalysis.Compile(sources[0], "ByType_Trees", path: "T0.cs");
        var compilation = first.AddSyntaxTrees(sources.Skip(1).Select((text, i) => Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(text, path: $"T{i + 1}.cs")));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var action = compilation.GetTypeByMetadataName("System.Action")!;
        var rare = compilation.GetTypeByMetadataName("Rare")!;

        var delegates = LockModel.For(compilation, RawAnalysis.Options(null), CancellationToken.None).CallGraph.Delegates;
        Assert.Empty(delegates.OfType(action));
        Assert.Equal(1, delegates.TreesReadByType);
        Assert.Equal(new[] { "lambda expression", "Four.Handle(int)", "lambda expression" }, delegates.OfType(rare).Select(t => t.Method.MethodKind == MethodKind.AnonymousFunction ? "lambda expression" : t.Method.ToDisplayString()));
        Assert.Equal(4, delegates.TreesReadByType);

        // Every delegate type of the whole pass, asked of a fresh index, one at a time, in both orders.
        var whole = LockModel.For(compilation, RawAnalysis.Options(null), CancellationToken.None).CallGraph.Delegates.ByTypeWhole();
        Assert.True(whole.Count >= 5, $"{whole.Count} delegate types");
        foreach (var reversed in new[] { false, true })
        {
            var fresh = new LockOrder.Engine.Calls.DelegateIndex(compilation, new LockOrder.Engine.Knowledge.MethodNames(compilation));
            foreach (var (type, list) in reversed ? whole.Reverse() : whole)
            {
                var expected = list.Count <= LockOrder.Engine.Calls.DelegateIndex.MaxByType ? list.Select(t => (t.Method, t.Where)).ToList() : new();
                Assert.Equal(expected, fresh.OfType(type).Select(t => (t.Method, t.Where)).ToList());
            }
        }
    }

    /// <summary>Who implements or overrides a method of the compilation's own types is found from the types whose
    /// base lists name its type (and theirs, to a fixed point, through <c>using</c> aliases too), without completing
    /// every type of the project; a method of another assembly still walks every type. Each implementation here
    /// sleeps, so the call under the spinlock is flagged only if it is found.</summary>
    [Theory]
    [InlineData("public interface IStore { void Save(); } public sealed class Disk : IStore { public void Save() { Thread.Sleep(1); } }", "IStore s", "s.Save()", false, "an interface's implementation")]
    [InlineData("public interface IStore { void Save(); } public class Base { public virtual void Save() { } } public class Disk : Base, IStore { } public sealed class Tape : Disk { public override void Save() { Thread.Sleep(1); } }", "IStore s", "s.Save()", false, "an override of an implementation inherited from a base class")]
    [InlineData("public interface IStore { void Save(); } public class Base { public void Save() { Thread.Sleep(1); } } public sealed class Disk : Base, IStore { }", "IStore s", "s.Save()", false, "an implementation inherited from a base class that does not implement the interface")]
    [InlineData("public interface IStore { void Save(); } public interface IDisk : IStore { } public sealed class Disk : IDisk { void IStore.Save() { Thread.Sleep(1); } }", "IStore s", "s.Save()", false, "an explicit implementation, through a derived interface")]
    [InlineData("namespace N { public abstract class Base<T> { public abstract void Save(); } } public class Mid : N.Base<int> { public override void Save() { } } public sealed class Leaf : Mid { public override void Save() { Thread.Sleep(1); } }", "N.Base<int> s", "s.Save()", false, "an override two levels down, a qualified generic base")]
    [InlineData("public abstract record Base(int X) { public abstract void Save(); } public sealed record Disk(int X) : Base(X) { public override void Save() { Thread.Sleep(1); } }", "Base s", "s.Save()", false, "a record's primary constructor base")]
    [InlineData("public interface IStore { void Save(); } public sealed class Disk : IStore { public void Save() { Thread.Sleep(1); } } public sealed class Other { }", "IStore s", "s.Save()", false, "a class that implements nothing")]
    [InlineData("public interface IStore { void Save(); } namespace N { using S = IStore; public sealed class Disk : S { public void Save() { Thread.Sleep(1); } } }", "IStore s", "s.Save()", false, "a base named through an alias")]
    [InlineData("namespace M { public interface IStore { void Save(); } } namespace N { using A = M.IStore; namespace O { using S = A; public sealed class Disk : S { public void Save() { Thread.Sleep(1); } } } }", "M.IStore s", "s.Save()", false, "a base named through an alias of an alias")]
    [InlineData("public interface IResource : IDisposable { } public sealed class Disk : IResource { public void Dispose() { Thread.Sleep(1); } }", "IResource s", "s.Dispose()", false, "a framework interface's method, on a receiver of a source interface")]
    [InlineData("public interface IResource : IDisposable { } public class Base { public void Dispose() { Thread.Sleep(1); } } public sealed class Disk : Base, IResource { }", "IResource s", "s.Dispose()", false, "a framework interface's method inherited from a base class that does not implement it")]
    [InlineData("public class Node { } public sealed class Leaf : Node { public override string ToString() { Thread.Sleep(1); return \"\"; } }", "Node s", "s.ToString()", false, "object's virtual, overridden below a source receiver")]
    [InlineData("public class Node { public override string ToString() { Thread.Sleep(1); return \"\"; } } public class Mid : Node { } public class Leaf : Mid { }", "Mid s", "s.ToString()", false, "object's virtual, overridden in a base class of the receiver")]
    [InlineData("public abstract class Sink : System.IO.Stream { } public sealed class Slow : Sink { public override bool CanRead => false; public override bool CanSeek => false; public override bool CanWrite => true; public override long Length => 0; public override long Position { get; set; } public override void Flush() { Thread.Sleep(1); } public override int Read(byte[] b, int o, int c) => 0; public override long Seek(long o, System.IO.SeekOrigin r) => 0; public override void SetLength(long v) { } public override void Write(byte[] b, int o, int c) { } }", "Sink s", "s.Flush()", false, "a framework class's abstract method, on a receiver of a source subclass")]
    [InlineData("public record Key(int X) { public override string ToString() { Thread.Sleep(1); return \"\"; } }", "Key s", "s.ToString()", false, "a record's ToString")]
    [InlineData("public interface IResource : IDisposable { } public sealed class Disk : IResource { public void Dispose() { Thread.Sleep(1); } } public static class Go { public static void Run<T>(T s) where T : IResource { s.Dispose(); } }", "IResource s", "Go.Run(s)", true, "a framework interface's method on a type parameter: every type")]
    public async Task Implementations_OfTheCompilationsOwnMethods_AreFoundFromTheirTypesSubtypes(string declarations, string parameter, string call, bool walksEveryType, string how)
    {
        var (model, diagnostics) = await Analyse(DelegateTcon + $$"""
            public sealed class User
            {
                private readonly Tcon _t = new Tcon();
                public void Run({{parameter}}) { lock (_t.TcLock) { {{call}}; } }
            }
            {{declarations}}
            """, new SleepInAtomicAnalyzer());
        Assert.True(diagnostics.Any(d => d.Id == "LOCK002"), how);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        Assert.True(walksEveryType == model.CallGraph.AllTypesWalked, how);
    }

    /// <summary>An enum of the compilation (or a delegate type) has no subtypes: <c>level.ToString()</c> under a lock
    /// runs the framework's method and completes no type (found on NLog: every keystroke in a file with such a call
    /// walked every type).</summary>
    [Theory]
    [InlineData("public enum Level { Low, High }", "Level s", "s.ToString()")]
    [InlineData("public enum Level { Low, High }", "Level s", "s.GetHashCode()")]
    [InlineData("public delegate void Handler();", "Handler s", "s.ToString()")]
    public async Task Implementations_AFrameworkMethodOnAnEnumOrADelegateOfTheCompilation_WalksNoType(string declarations, string parameter, string call)
    {
        var (model, diagnostics) = await Analyse(DelegateTcon + $$"""
            public sealed class User
            {
                private readonly Tcon _t = new Tcon();
                public void Run({{parameter}}) { lock (_t.TcLock) { {{call}}; } }
            }
            public sealed class Elsewhere { public override string ToString() { Thread.Sleep(1); return ""; } }
            {{declarations}}
            """, new SleepInAtomicAnalyzer());
        Assert.DoesNotContain(diagnostics, d => d.Id is "LOCK002" or "AD0001");
        Assert.False(model.CallGraph.AllTypesWalked);
    }

    [Fact]
    public async Task Implementations_AMethodOfTheSameNameInABaseClassOfNoImplementingType_DoesNotRunThroughTheInterface()
    {
        var (_, diagnostics) = await Analyse(DelegateTcon + """
            public sealed class User
            {
                private readonly Tcon _t = new Tcon();
                public void Run(IStore s) { lock (_t.TcLock) { s.Save(); } }
            }
            public interface IStore { void Save(); }
            public class Base { public virtual void Save() { Thread.Sleep(1); } }
            public sealed class Other : Base { }
            public sealed class Disk : IStore { public void Save() { } }
            """, new SleepInAtomicAnalyzer());
        Assert.DoesNotContain(diagnostics, d => d.Id is "LOCK002" or "AD0001");
    }

    private static Task<(LockModel Model, IReadOnlyList<Diagnostic> Diagnostics)> Analyse(string source)
        => Analyse(source, new ProtectedMemberAnalyzer());

    private static async Task<(LockModel Model, IReadOnlyList<Diagnostic> Diagnostics)> Analyse(string source, Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer analyzer)
    {
        string name = "Demand_" + System.Guid.NewGuid().ToString("N");
        var compilation = RawAnalysis.Compile(source, name);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var (seen, diagnostics) = await RawAnalysis.SeeingModel(name, () => RawAnalysis.Run(compilation, Table, analyzer));
        Assert.NotNull(seen);
        return (seen!, diagnostics);
    }
}
