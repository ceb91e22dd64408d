using System.Threading.Tasks;
using Xunit;
using V = LockOrder.Tests.Verify<LockOrder.Rules.SelfDeadlockAnalyzer>;

namespace LockOrder.Tests;

public class SelfDeadlockTests
{
    [Fact]
    public Task Flagged_SpinLockTwice_WithMessage()
        => V.Source("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                void M()
                {
                    bool a = false, b = false;
                    _spin.Enter(ref a);
                    _spin.Enter(ref b);
                    _spin.Exit();
                }
            }
            """,
            V.Diagnostic("LOCK003").WithSpan(9, 9, 9, 27).WithSpan(8, 9, 8, 27)
                .WithMessage("'C._spin' is acquired while 'C._spin' is already held; System.Threading.SpinLock is not reentrant, so this deadlocks. Release it first or restructure."));

    [Fact]
    public Task Flagged_DeclaredSpinlockNestedLockStatements()
        => V.WithTable("""
            class C
            {
                public static readonly object S = new object();
                void M()
                {
                    lock (S)
                    {
                        {|LOCK003:lock (S)|} { }
                    }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Flagged_TwoInstancesOfOneClassNested_UnlessNestable()
        => V.WithTable("""
            class Node
            {
                private readonly object _gate = new object();
                public Node? Child;
                void Walk()
                {
                    lock (_gate)
                    {
                        if (Child is not null) lock (Child._gate) { }
                    }
                }
            }
            class Tree
            {
                private readonly object _gate = new object();
                public Tree? Child;
                void Walk() { lock (_gate) { if (Child is not null) lock (Child._gate) { } } }
            }
            """, """
            { "locks": [ { "name": "node->gate", "kind": "mutex", "symbol": "Node._gate" },
                         { "name": "tree->gate", "kind": "mutex", "symbol": "Tree._gate", "nestable": true } ] }
            """,
            V.Diagnostic("LOCK003").WithSpan(9, 36, 9, 54).WithSpan(7, 9, 7, 21)
                .WithMessage("'node->gate' (row 1) is acquired while 'node->gate' (row 1) is already held on another instance ('this.Child' while 'this' is held); one lock class nested in itself can deadlock against a thread nesting the other way (mark its row 'nestable' if instances always nest in one order). Release it first or restructure."));

    [Fact]
    public Task Clean_NestedReentrantMonitor()
        => V.Source("""
            using System.Threading;
            class C
            {
                private readonly object _gate = new object();
                void M()
                {
                    lock (_gate) { lock (_gate) { Monitor.Enter(_gate); Monitor.Exit(_gate); } }
                }
            }
            """);

    [Fact]
    public Task Flagged_SemaphoreSlimAndCustomPrimitive()
        => V.WithTable(Tables.KernelTypes + """
            namespace K
            {
                class Ops
                {
                    private readonly System.Threading.SemaphoreSlim _sem = new(1);
                    void M(Entry e)
                    {
                        _sem.Wait();
                        {|LOCK003:_sem.Wait()|};
                        _sem.Release();
                        _sem.Release();
                        e.EntryLock.Lock();
                        {|LOCK003:e.EntryLock.Lock()|};
                        e.EntryLock.Unlock();
                    }
                }
            }
            """, Tables.Kernel);

    [Fact]
    public Task Clean_ReacquireAfterRelease_InLoop_AndEarlyReturn()
        => V.Source("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                void M(int n)
                {
                    for (int i = 0; i < n; i++)
                    {
                        bool taken = false;
                        try
                        {
                            _spin.Enter(ref taken);
                            if (i == 2) return;
                        }
                        finally
                        {
                            if (taken) _spin.Exit();
                        }
                    }
                    bool again = false;
                    _spin.Enter(ref again);
                    _spin.Exit();
                }
            }
            """);

    [Fact]
    public Task Edge_TryLockOnHeldLockIsNotADeadlock_ConditionalIsNotMust()
        => V.Source("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                void M(bool c)
                {
                    bool a = false, b = false, d = false;
                    _spin.Enter(ref a);
                    _spin.TryEnter(ref b);
                    _spin.Exit();
                    if (c) _spin.Enter(ref d);
                    bool e = false;
                    _spin.Enter(ref e);
                    _spin.Exit();
                }
            }
            """);
}

/// <summary>Two instances of one class locked in an order fixed by a key (the textbook transfer) cannot deadlock;
/// locked in argument order, they can.</summary>
public class OrderedPairTests
{
    private const string Account = """
        sealed class Account
        {
            public int Id;
            public decimal Balance;
        }
        """;

    [Fact]
    public Task Clean_OrderedByKey()
        => Verify<LockOrder.Rules.SelfDeadlockAnalyzer>.Source(Account + """
            static class Bank
            {
                public static void Transfer(Account a, Account b, decimal amount)
                {
                    var (first, second) = a.Id < b.Id ? (a, b) : (b, a);
                    lock (first)
                    {
                        lock (second)
                        {
                            a.Balance -= amount;
                            b.Balance += amount;
                        }
                    }
                }
            }
            """);

    [Fact]
    public Task Flagged_InArgumentOrder()
        => Verify<LockOrder.Rules.SelfDeadlockAnalyzer>.Source(Account + """
            static class Bank
            {
                public static void Transfer(Account a, Account b, decimal amount)
                {
                    lock (a)
                    {
                        {|LOCK003:lock (b)|}
                        {
                            a.Balance -= amount;
                            b.Balance += amount;
                        }
                    }
                }
            }
            """);
}
