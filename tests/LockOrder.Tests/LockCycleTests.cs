using System.Threading.Tasks;
using Xunit;
using V = LockOrder.Tests.Verify<LockOrder.Rules.LockCycleAnalyzer>;

namespace LockOrder.Tests;

/// <summary>LOCK008: AB-BA and longer cycles inferred from the code, with no table needed.</summary>
public class LockCycleTests
{
    [Fact]
    public Task Flagged_IntraMethodABBA_OnceAtTheFirstEdge_TheOtherAsAnAdditionalLocation()
        => V.Source("""
            class C
            {
                private readonly object _a = new object();
                private readonly object _b = new object();
                void One() { lock (_a) { lock (_b) { } } }
                void Two() { lock (_b) { lock (_a) { } } }
            }
            """,
            V.Diagnostic("LOCK008").WithSpan(5, 30, 5, 39).WithSpan(6, 30, 6, 39).WithSpan(5, 18, 5, 27)
                .WithMessage("Lock-order cycle 'C._a' -> 'C._b' -> 'C._a': here 'C._b' is acquired while 'C._a' is held; at C.cs(6) 'C._a' is acquired while 'C._b' is held. Unsafe interleaving: thread 1 holds 'C._a' and waits for 'C._b'; thread 2 holds 'C._b' and waits for 'C._a'. Take these locks in one order everywhere (and declare it in lockorder.json).".Replace("C.cs", "Test0.cs", System.StringComparison.Ordinal)));

    [Fact]
    public Task Flagged_OneCallDeep_AcrossTwoClasses_StaticLocks()
        => V.Source("""
            static class Registry
            {
                public static readonly object Gate = new object();
                public static void Touch(Cache c) { lock (Gate) { c.Fill(); } }
            }
            class Cache
            {
                private readonly object _gate = new object();
                public void Fill() { lock (_gate) { } }
                public void Evict() { lock (_gate) { Registry.Touch(this); } }
            }
            """.Replace("{ lock (Gate) { c.Fill(); } }", "{ lock (Gate) { {|LOCK008:c.Fill()|}; } }", System.StringComparison.Ordinal));

    [Fact]
    public Task Flagged_ThreeLockCycle_OnceWithEveryEdgeAsALocation()
        => V.Source("""
            class C
            {
                private readonly object _a = new object(), _b = new object(), _c = new object();
                void AB() { {|#3:lock (_a)|} { {|#0:lock (_b)|} { } } }
                void BC() { lock (_b) { {|#1:lock (_c)|} { } } }
                void CA() { lock (_c) { {|#2:lock (_a)|} { } } }
            }
            """,
            // Where it is reported, then the other two edges, then where the held lock of the first was taken.
            V.Diagnostic("LOCK008").WithLocation(0).WithLocation(1).WithLocation(2).WithLocation(3).WithArguments(
                "'C._a' -> 'C._b' -> 'C._c' -> 'C._a'",
                "here 'C._b' is acquired while 'C._a' is held; at Test0.cs(5) 'C._c' is acquired while 'C._b' is held; at Test0.cs(6) 'C._a' is acquired while 'C._c' is held",
                "thread 1 holds 'C._a' and waits for 'C._b'; thread 2 holds 'C._b' and waits for 'C._c'; thread 3 holds 'C._c' and waits for 'C._a'"));

    [Fact]
    public Task Flagged_ACycleIsReportedAtItsFirstEdgeInSourceOrder_WhicheverLockItStartsFrom()
        => V.Source("""
            class C
            {
                private readonly object _a = new object(), _b = new object();
                void BA() { lock (_b) { {|LOCK008:lock (_a)|} { } } }
                void AB() { lock (_a) { lock (_b) { } } }
            }
            """);

    [Fact]
    public Task Flagged_ThroughALambdaRunUnderTheLock()
        => V.Source("""
            using System.Collections.Generic;
            class C
            {
                private readonly object _a = new object(), _b = new object();
                void One(List<int> items) { lock (_a) { {|LOCK008:items.ForEach(i => { lock (_b) { } })|}; } }
                void Two() { lock (_b) { lock (_a) { } } }
            }
            """);

    [Fact]
    public Task Flagged_ThroughADelegateStoredInAFieldAndInvokedUnderALockElsewhere()
        => V.Source("""
            using System;
            class C
            {
                private readonly object _a = new object(), _b = new object();
                private Action? _onEvict;
                private Action _onFill = Fill;
                static void Fill() { }
                void Register() { _onEvict = () => { lock (_b) { } }; }
                void Evict() { lock (_a) { _onEvict?{|LOCK008:.Invoke()|}; _onFill(); } }
                void Other() { lock (_b) { lock (_a) { } } }
            }
            """);

    [Fact]
    public Task Clean_ConsistentOrder_DeferredSide_TryLock()
        => V.Source("""
            using System.Threading;
            using System.Threading.Tasks;
            class C
            {
                private readonly object _a = new object(), _b = new object();
                void One() { lock (_a) { lock (_b) { } } }
                void Same() { lock (_a) { lock (_b) { } } }
                void Deferred() { lock (_b) { Task.Run(() => { lock (_a) { } }); } }
                void Try()
                {
                    lock (_b)
                    {
                        if (Monitor.TryEnter(_a)) { Monitor.Exit(_a); }
                    }
                }
            }
            """);

    [Fact]
    public Task DeclaredLocksAreLock001s_UndeclaredPartnerIsLock008s()
        => V.WithTable("""
            class C
            {
                public static readonly object A = new object();
                public static readonly object B = new object();
                private readonly object _u = new object();
                void One() { lock (A) { lock (B) { } } }
                void Two() { lock (B) { lock (A) { } } }
                void Three() { lock (A) { {|LOCK008:lock (_u)|} { } } }
                void Four() { lock (_u) { lock (A) { } } }
            }
            """, Tables.ABS);

    [Fact]
    public Task SameClassTwoInstances_IsNotACycle()
        => V.Source("""
            class Node
            {
                private readonly object _gate = new object();
                public Node? Child;
                void Walk() { lock (_gate) { if (Child is not null) lock (Child._gate) { } } }
            }
            """);
}

/// <summary>Cycles that cannot deadlock: re-entering a reentrant lock already held makes no order edge, and a cycle
/// whose every edge is made under one common lock (a gate) is serialised by it.</summary>
public class CycleRefinementTests
{
    [Fact]
    public Task Clean_ReacquiringAReentrantLockAlreadyHeld_IsNotAnEdge()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source("""
            class C
            {
                private readonly object _a = new object(), _b = new object();
                void One() { lock (_a) { lock (_b) { lock (_a) { } } } }
                void Helper() { lock (_a) { } }
                void Two() { lock (_a) { lock (_b) { Helper(); } } }
            }
            """);

    [Fact]
    public Task Flagged_TheSameShapeWhenAnotherPathTakesThemTheOtherWay()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source("""
            class C
            {
                private readonly object _a = new object(), _b = new object();
                void One() { lock (_a) { {|LOCK008:lock (_b)|} { lock (_a) { } } } }
                void Two() { lock (_b) { lock (_a) { } } }
            }
            """);

    [Fact]
    public Task Clean_CycleEveryEdgeOfWhichIsTakenUnderOneGateLock()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source("""
            class C
            {
                private readonly object _gate = new object(), _a = new object(), _b = new object();
                void One() { lock (_gate) { lock (_a) { lock (_b) { } } } }
                void Two() { lock (_gate) { lock (_b) { Inner(); } } }
                void Inner() { lock (_a) { } }
            }
            """);

    [Fact]
    public Task Flagged_WhenOneEdgeIsAlsoTakenWithoutTheGate_ReportedAtTheUngatedOne()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source("""
            class C
            {
                private readonly object _gate = new object(), _a = new object(), _b = new object();
                void One() { lock (_gate) { lock (_a) { {|LOCK008:lock (_b)|} { } } } }
                void Two() { lock (_gate) { lock (_b) { lock (_a) { } } } }
                void Three() { lock (_b) { lock (_a) { } } }
            }
            """);
}

/// <summary>Where a lock lives decides whether two orders can meet: wrappers locking the target they wrap nest
/// parent before child; locks of objects a method has just created and not shared cannot be contended.</summary>
public class LockPlaceTests
{
    [Fact]
    public Task Clean_WrappersNestedEitherWayRound_TheDecoratorShape()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source("""
            abstract class Target
            {
                protected readonly object SyncRoot = new object();
                public void Write() { lock (SyncRoot) { WriteCore(); } }
                protected abstract void WriteCore();
            }
            sealed class Buffering : Target
            {
                private readonly object _buffer = new object();
                public Target Wrapped = null!;
                protected override void WriteCore() { lock (_buffer) { Wrapped.Write(); } }
            }
            sealed class Retrying : Target
            {
                private readonly object _retry = new object();
                public Target Wrapped = null!;
                protected override void WriteCore() { lock (_retry) { Wrapped.Write(); } }
            }
            sealed class Group : Target
            {
                private readonly object _pick = new object();
                public System.Collections.Generic.IList<Target> Targets = new System.Collections.Generic.List<Target>();
                protected override void WriteCore() { lock (_pick) { Targets[0].Write(); } }
            }
            """);

    [Fact]
    public Task Flagged_ParentAndChildOfDifferentKinds_LockingEachOtherThroughBackReferences()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source("""
            sealed class Parent
            {
                private readonly object _gate = new object();
                public Child Child = null!;
                public void Update() { lock (_gate) { {|LOCK008:Child.Touch()|}; } }
                public void Notify() { lock (_gate) { } }
            }
            sealed class Child
            {
                private readonly object _gate = new object();
                public Parent Parent = null!;
                public void Touch() { lock (_gate) { } }
                public void Changed() { lock (_gate) { Parent.Notify(); } }
            }
            """);

    [Fact]
    public Task Clean_LocksOfAnObjectJustCreatedAndNotShared()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source("""
            sealed class Connector
            {
                private readonly object _cancel = new object(), _sync = new object();
                public void Cancel()
                {
                    lock (_cancel)
                    {
                        var helper = new Connector();
                        helper.Cleanup();
                        var other = new Connector();
                        lock (other._sync) { }
                    }
                }
                public void Cleanup() { lock (_sync) { } }
                public void Break() { lock (_sync) { lock (_cancel) { } } }
            }
            """);

    [Fact]
    public Task Flagged_OnceTheNewObjectIsShared()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source("""
            using System.Collections.Generic;
            sealed class Connector
            {
                private static readonly List<Connector> All = new List<Connector>();
                private readonly object _cancel = new object(), _sync = new object();
                public void Cancel()
                {
                    lock (_cancel)
                    {
                        var helper = new Connector();
                        All.Add(helper);
                        {|LOCK008:helper.Cleanup()|};
                    }
                }
                public void Cleanup() { lock (_sync) { } }
                public void Break() { lock (_sync) { lock (_cancel) { } } }
            }
            """);

    /// <summary>Npgsql's shape: a cancel request made on a new connector, whose cleanup disposes the current copy
    /// operation (which locks the connector it belongs to). CURRENT declares that member, CREATE makes the new
    /// connector, CANCEL is what the cancel request runs on it.</summary>
    private const string CancelConnector = """
        interface ICancelable { void Dispose(); }
        sealed class Exporter : ICancelable
        {
            private readonly Connector _connector;
            public Exporter(Connector connector) { _connector = connector; }
            public void Dispose() => _connector.EndUserAction();
        }
        sealed class Connection
        {
            private readonly Connector _connector = new Connector();
            public void BeginExport() { _connector.Current = new Exporter(_connector); }
        }
        sealed class Connector
        {
            internal readonly object SyncObj = new object(), CancelLock = new object();
            CURRENT
            public void EndUserAction() { lock (SyncObj) { } }
            public void PerformCancellation()
            {
                lock (CancelLock)
                {
                    var cancelConnector = CREATE;
                    cancelConnector.DoCancelRequest();
                }
            }
            void DoCancelRequest() { CANCEL }
            void Cleanup() { if (Current != null) { Current.Dispose(); Current = null; } }
            public void UserAction() { lock (SyncObj) { lock (CancelLock) { } } }
        }
        """;

    private static string Connector(string cancel, string current = "internal ICancelable? Current;", string create = "new Connector()", bool flagged = false)
    {
        var source = CancelConnector.Replace("CURRENT", current, System.StringComparison.Ordinal).Replace("CREATE", create, System.StringComparison.Ordinal)
            .Replace("CANCEL", cancel, System.StringComparison.Ordinal);
        return flagged
            ? source.Replace("cancelConnector.DoCancelRequest();", "{|LOCK008:cancelConnector.DoCancelRequest()|};", System.StringComparison.Ordinal)
            : source;
    }

    [Fact]
    public Task Clean_AMemberANewObjectLeavesNull_NpgsqlsCancelConnector()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source(Connector("Cleanup();"));

    [Fact]
    public Task Flagged_WhenTheCodeRunOnTheNewObjectSetsThatMember()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source(Connector("Current = new Exporter(this); Cleanup();", flagged: true));

    [Fact]
    public Task Flagged_WhenTheMemberHasAnInitializer()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source(Connector("Cleanup();", current: "internal ICancelable? Current = new Exporter(new Connector());", flagged: true));

    [Fact]
    public Task Flagged_WhenTheObjectInitializerSetsThatMember()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source(Connector("Cleanup();", create: "new Connector { Current = new Exporter(new Connector()) }", flagged: true));

    [Fact]
    public Task Clean_NLogsTargetGraph_WrappersAndGroupsOverAGenericCollectionOfChildren()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source("""
            using System.Collections.Generic;
            abstract class Target
            {
                protected object SyncRoot { get; } = new object();
                protected bool IsInitialized { get { lock (SyncRoot) { return true; } } }
                public void WriteAsyncLogEvents(IList<int> events) { if (!IsInitialized) return; WriteAsyncThreadSafe(events[0]); }
                public void WriteAsyncLogEvent(int e) { lock (SyncRoot) { Write(e); } }
                public void PrecalculateVolatileLayouts(int e) { if (!IsInitialized) return; }
                protected virtual void WriteAsyncThreadSafe(int e) { Write(e); }
                protected abstract void Write(int e);
            }
            abstract class WrapperTargetBase : Target { public Target? WrappedTarget { get; set; } }
            abstract class CompoundTargetBase : Target { public IList<Target> Targets { get; } = new List<Target>(); }
            sealed class RetryingTargetWrapper : WrapperTargetBase
            {
                private readonly object _retrySyncObject = new object();
                protected override void Write(int e) { var l = new List<int> { e }; lock (_retrySyncObject) { WrappedTarget?.WriteAsyncLogEvents(l); } }
                protected override void WriteAsyncThreadSafe(int e) { lock (_retrySyncObject) { Write(e); } }
            }
            sealed class FallbackGroupTarget : CompoundTargetBase
            {
                protected override void WriteAsyncThreadSafe(int e) { Write(e); }
                protected override void Write(int e) { WrapWithFallback(e); Targets[0].WriteAsyncLogEvent(e); }
                private void WrapWithFallback(int e) { for (int i = 0; i < Targets.Count; ++i) { Targets[i].PrecalculateVolatileLayouts(e); } }
            }
            sealed class RoundRobinGroupTarget : CompoundTargetBase
            {
                protected override void WriteAsyncThreadSafe(int e) { Write(e); }
                protected override void Write(int e) { Targets[0].WriteAsyncLogEvent(e); }
            }
            sealed class AutoFlushTargetWrapper : WrapperTargetBase
            {
                protected override void Write(int e) { WrappedTarget?.WriteAsyncLogEvent(e); }
            }
            """);
}
