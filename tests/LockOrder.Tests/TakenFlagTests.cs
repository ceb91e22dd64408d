using System.Threading.Tasks;
using Xunit;
using Balance = LockOrder.Tests.Verify<LockOrder.Rules.UnbalancedLockingAnalyzer>;
using Sleep = LockOrder.Tests.Verify<LockOrder.Rules.SleepInAtomicAnalyzer>;

namespace LockOrder.Tests;

/// <summary>The relational domain that ties a lock to the boolean saying it was taken, through conditions, merges
/// and finally regions (the shapes of NLog's AsyncTaskTarget, AsyncTargetWrapper and BufferingTargetWrapper).</summary>
public class TakenFlagTests
{
    private const string Header = """
        using System.Threading;
        class C
        {
            private readonly object _o = new object();
            private readonly Lock _l = new Lock();
            private SpinLock _spin = new SpinLock(false);
            private object? _previous;
            void Work() { }
        """;

    [Fact]
    public Task Clean_EnterOnOneBranchTryEnterOnTheOther_ReleasedIfTaken()
        => Balance.Source(Header + """
                void M()
                {
                    bool lockTaken = false;
                    try
                    {
                        if (_previous is null)
                            Monitor.Enter(_o, ref lockTaken);
                        else
                            Monitor.TryEnter(_o, 50, ref lockTaken);
                        Work();
                    }
                    finally
                    {
                        if (lockTaken)
                            Monitor.Exit(_o);
                    }
                }
            }
            """);

    [Fact]
    public Task Clean_TryEnterResultStoredThenTested_InTryAndFinally()
        => Balance.Source(Header + """
                void M()
                {
                    bool lockTaken = false;
                    try
                    {
                        lockTaken = Monitor.TryEnter(_o);
                        if (lockTaken)
                        {
                            Work();
                        }
                    }
                    finally
                    {
                        if (lockTaken)
                            Monitor.Exit(_o);
                    }
                }
            }
            """);

    [Fact]
    public Task Clean_EarlyReturnWhenNotTaken_SpinLockAndLockTryEnter()
        => Balance.Source(Header + """
                void M()
                {
                    bool taken = false;
                    Monitor.TryEnter(_o, 10, ref taken);
                    if (!taken) return;
                    try { Work(); } finally { Monitor.Exit(_o); }
                }
                void Spin()
                {
                    bool taken = false;
                    try { _spin.TryEnter(ref taken); if (taken) Work(); }
                    finally { if (taken) _spin.Exit(); }
                }
                void Modern()
                {
                    if (!_l.TryEnter()) return;
                    try { Work(); } finally { _l.Exit(); }
                }
                void InALoop()
                {
                    for (int i = 0; i < 3; i++)
                    {
                        bool taken = false;
                        try { Monitor.TryEnter(_o, 5, ref taken); if (!taken) continue; Work(); }
                        finally { if (taken) Monitor.Exit(_o); }
                    }
                }
            }
            """);

    [Fact]
    public Task Flagged_ReleasedWithoutCheckingTheFlag()
        => Balance.Source(Header + """
                void M()
                {
                    bool lockTaken = false;
                    try
                    {
                        Monitor.TryEnter(_o, 50, ref lockTaken);
                        Work();
                    }
                    finally
                    {
                        {|LOCK004:Monitor.Exit(_o)|};
                    }
                }
            }
            """);

    [Fact]
    public Task Flagged_SleepOnlyWhereTheFlagSaysTheSpinlockIsHeld()
        => Sleep.WithTable(Header + """
                void M()
                {
                    bool taken = false;
                    try
                    {
                        if (_previous is null) _spin.Enter(ref taken); else _spin.TryEnter(ref taken);
                        if (taken) {|LOCK002:Thread.Sleep(1)|};
                    }
                    finally
                    {
                        if (taken) _spin.Exit();
                        Thread.Sleep(1);
                    }
                }
            }
            """, """{ "locks": [ { "name": "spin", "kind": "spinlock", "symbol": "C._spin" } ] }""");
}

/// <summary>Hand-over-hand locking (lock coupling): a reference local names the object of the lock held from the
/// last round, and is null exactly when none is (StackExchange.Redis's transaction, a linked list's traversal).</summary>
public class HandOverHandTests
{
    [Fact]
    public Task Clean_LockCouplingOverABoxSequence_TheRedisTransactionShape()
        => Balance.Source("""
            #nullable enable
            using System.Collections.Generic;
            using System.Threading;
            interface IResultBox { }
            class Transaction
            {
                IEnumerable<string> Issue(IResultBox[] conditions, IResultBox?[] results, bool early, bool late)
                {
                    IResultBox? lastBox = null;
                    try
                    {
                        for (int i = 0; i < conditions.Length; i++)
                        {
                            IResultBox latestBox = conditions[i];
                            Monitor.Enter(latestBox);
                            if (lastBox != null) Monitor.Exit(lastBox);
                            lastBox = latestBox;
                            yield return "condition";
                        }

                        if (early && lastBox != null)
                        {
                            Monitor.Wait(lastBox, 100);
                            Monitor.Exit(lastBox);
                            lastBox = null;
                        }

                        foreach (var box in results)
                        {
                            if (late)
                            {
                                IResultBox? thisBox = box;
                                if (thisBox is not null)
                                {
                                    Monitor.Enter(thisBox);
                                    if (null != lastBox) Monitor.Exit(lastBox);
                                    lastBox = thisBox;
                                }
                            }

                            yield return "op";
                        }

                        if (late && lastBox is { })
                        {
                            Monitor.Exit(lastBox);
                            lastBox = null;
                        }
                    }
                    finally
                    {
                        if (!(lastBox is null)) Monitor.Exit(lastBox);
                    }
                }
            }
            """);

    [Fact]
    public Task Clean_LockCouplingDownALinkedList_ThroughTheNodesGate()
        => Balance.Source("""
            #nullable enable
            using System.Threading;
            sealed class Node
            {
                public readonly object Gate = new object();
                public Node? Next;
                public int Value;
            }
            class List
            {
                private Node _head = new Node();
                bool Contains(int value)
                {
                    Node? prev = null;
                    Node? cur = _head;
                    while (cur != null)
                    {
                        Monitor.Enter(cur.Gate);
                        if (prev != null) Monitor.Exit(prev.Gate);
                        if (cur.Value == value)
                        {
                            Monitor.Exit(cur.Gate);
                            return true;
                        }

                        prev = cur;
                        cur = cur.Next;
                    }

                    if (prev != null) Monitor.Exit(prev.Gate);
                    return false;
                }
            }
            """);

    [Fact]
    public Task Clean_OneLocalNamingADifferentLockOnEachBranch_ReleasedThroughIt()
        => Balance.Source("""
            using System.Threading;
            class C
            {
                private readonly object _a = new object(), _b = new object();
                void M(bool first)
                {
                    object taken;
                    if (first) { Monitor.Enter(_a); taken = _a; }
                    else { Monitor.Enter(_b); taken = _b; }
                    Monitor.Exit(taken);
                }
            }
            """);

    [Fact]
    public Task Flagged_TheLastLockIsNotReleasedAfterTheLoop()
        => Balance.Source("""
            #nullable enable
            using System.Threading;
            class C
            {
                void Walk(object[] boxes)
                {
                    object? last = null;
                    foreach (var box in boxes)
                    {
                        {|LOCK004:Monitor.Enter(box)|};
                        if (last != null) Monitor.Exit(last);
                        last = box;
                    }
                }
            }
            """);

    [Fact]
    public Task Flagged_ReleasingThePreviousOneWithoutTheNullCheck()
        => Balance.Source("""
            #nullable enable
            using System.Threading;
            class C
            {
                void Walk(object[] boxes)
                {
                    object? last = null;
                    foreach (var box in boxes)
                    {
                        Monitor.Enter(box);
                        {|LOCK004:Monitor.Exit(last!)|};
                        last = box;
                    }

                    if (last != null) Monitor.Exit(last);
                }
            }
            """);

    [Fact]
    public Task Flagged_ReleasingThroughALocalThatNoLongerNamesTheLock()
        => Balance.Source("""
            using System.Threading;
            class C
            {
                void M(object a, object b)
                {
                    Monitor.Enter(a);
                    object held = a;
                    held = b;
                    {|LOCK004:Monitor.Exit(held)|};
                    Monitor.Exit(a);
                }
            }
            """);
}

/// <summary>What a plain assignment says about a local (null, false, the lock it names) stops holding once the
/// local is written some other way: an out or ref argument, a lambda, a deconstruction. Code behind such a check
/// is analysed, not skipped as unreachable (NLog's config watcher, disposed after TryGetValue(..., out watcher)).</summary>
public class GuardWritesTests
{
    [Fact]
    public Task Flagged_ACycleBehindANullCheckOfALocalFilledByAnOutArgument()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source("""
            #nullable enable
            using System.Collections.Generic;
            sealed class Watcher
            {
                private readonly object _gate = new object();
                public Factory Owner = null!;
                public void Dispose() { lock (_gate) { } }
                public void Changed() { lock (_gate) { {|LOCK008:Owner.Touch()|}; } }
            }
            sealed class Factory
            {
                private readonly object _sync = new object();
                private readonly Dictionary<int, Watcher> _watchers = new Dictionary<int, Watcher>();
                public void Touch() { lock (_sync) { } }
                public void Assign()
                {
                    lock (_sync)
                    {
                        Watcher? watcher = null;
                        _watchers.TryGetValue(1, out watcher);
                        if (watcher != null) watcher.Dispose();
                    }
                }
            }
            """);

    [Theory]
    [InlineData("Find(out found);")]
    [InlineData("System.Action set = () => found = true; set();")]
    [InlineData("(found, _) = (Probe(), 0);")]
    public Task Flagged_ASleepBehindAFlagWrittenOtherThanByAPlainAssignment(string write)
        => Verify<LockOrder.Rules.SleepInAtomicAnalyzer>.Source("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                static bool Probe() => true;
                static void Find(out bool found) { found = true; }
                void M()
                {
                    bool taken = false;
                    _spin.Enter(ref taken);
                    try
                    {
                        bool found = false;
                        WRITE
                        if (found) {|LOCK002:Thread.Sleep(1)|};
                    }
                    finally { if (taken) _spin.Exit(); }
                }
            }
            """.Replace("WRITE", write, System.StringComparison.Ordinal));
}
