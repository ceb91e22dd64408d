using System.Threading.Tasks;
using Xunit;
using Order = LockOrder.Tests.Verify<LockOrder.Rules.DeclaredOrderAnalyzer>;
using Self = LockOrder.Tests.Verify<LockOrder.Rules.SelfDeadlockAnalyzer>;
using Sleep = LockOrder.Tests.Verify<LockOrder.Rules.SleepInAtomicAnalyzer>;

namespace LockOrder.Tests;

/// <summary>Findings inside callees, release callbacks and lambdas, reported at the caller's call with the path.</summary>
public class AcrossCallsTests
{
    private const string Header = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            public static readonly object A = new object();
            public static readonly object B = new object();
            public static readonly object S = new object();
        """;

    [Fact]
    public Task TwoAndThreeCallsDeep_WithChainInMessage()
        => Order.WithTable(Header + """
                void Outer() { lock (B) { Middle(); } }
                void Middle() { Inner(); }
                void Inner() { lock (A) { } }
                void Direct() { lock (B) { Inner(); } }
            }
            """, Tables.ABS,
            Order.Diagnostic("LOCK001").WithSpan(9, 82, 9, 90).WithSpan(9, 71, 9, 79).WithSpan(9, 82, 9, 90).WithSpan(10, 21, 10, 28).WithSpan(11, 20, 11, 28)
                .WithMessage("'c->a' (row 1) is acquired while 'c->b' (row 2) is held; the table orders c->a first (via C.Middle -> C.Inner -> acquiring 'c->a' (row 1)). Release 'c->b' before acquiring c->a, or take c->a first."),
            Order.Diagnostic("LOCK001").WithSpan(12, 32, 12, 39).WithSpan(12, 21, 12, 29).WithSpan(12, 32, 12, 39).WithSpan(11, 20, 11, 28)
                .WithMessage("'c->a' (row 1) is acquired while 'c->b' (row 2) is held; the table orders c->a first (via C.Inner -> acquiring 'c->a' (row 1)). Release 'c->b' before acquiring c->a, or take c->a first."));

    [Fact]
    public Task Recursion_AndMutualRecursion_Converge()
        => Order.WithTable(Header + """
                void Rec(int n) { if (n > 0) Rec(n - 1); else lock (A) { } }
                void Ping(int n) { if (n > 0) Pong(n - 1); }
                void Pong(int n) { if (n > 0) Ping(n - 1); else lock (A) { } }
                void M()
                {
                    lock (B)
                    {
                        {|LOCK001:Rec(3)|};
                        {|LOCK001:Ping(3)|};
                    }
                }
                void Loop(int n) { Loop(n); }
                void N() { lock (B) { Loop(1); } }
            }
            """, Tables.ABS);

    [Fact]
    public Task MutualRecursionThroughDelegateInvokingHelpers_Converges()
        => Order.WithTable(Header + """
                static void Run(Action f, int n) { f(); if (n > 0) Again(f, n - 1); }
                static void Again(Action g, int n) { if (n > 0) Run(g, n - 1); else Run(() => { lock (A) { } }, 0); }
                void M()
                {
                    lock (B)
                    {
                        {|LOCK001:Run(() => { lock (A) { } }, 3)|};
                        {|LOCK001:Again(() => { }, 2)|};
                    }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task ReleaseCallback_InSourceHelper_SleepsUnderSpinlock()
        => Sleep.Source("""
            using System;
            using System.Threading;
            sealed class Ref<T> where T : class
            {
                private int _count = 1;
                private readonly T _owner;
                public Ref(T owner) => _owner = owner;
                public bool Put(Action<T> release)
                {
                    if (Interlocked.Decrement(ref _count) != 0) return false;
                    release(_owner);
                    return true;
                }
            }
            sealed class Entry
            {
                public SpinLock Gate = new SpinLock(false);
                public readonly Ref<Entry> Refs;
                public Entry() => Refs = new Ref<Entry>(this);
                static void Release(Entry e) => Thread.Sleep(1);
                static void Drop(Entry e)
                {
                    bool taken = false;
                    e.Gate.Enter(ref taken);
                    {|LOCK002:e.Refs.Put(Release)|};
                    e.Gate.Exit();
                    e.Refs.Put(Release);
                }
                static void Later(Entry e, Action<Entry> store) { }
                static void Stored(Entry e)
                {
                    bool taken = false;
                    e.Gate.Enter(ref taken);
                    Later(e, Release);
                    e.Gate.Exit();
                }
            }
            """);

    [Fact]
    public Task ReleaseCallback_DeclaredInvokerWithoutSource_WithChain()
        => Order.WithTable(Tables.KernelTypes + """
            namespace K
            {
                static class Ops
                {
                    static void Release(Entry e, Owner o) { o.ListLock.Lock(); o.ListLock.Unlock(); }
                    static void M(Entry e, Owner o)
                    {
                        e.EntryLock.Lock();
                        System.Array.ForEach(new[] { e }, x => Release(x, o));
                        e.EntryLock.Unlock();
                    }
                }
            }
            """, Tables.Kernel,
            Order.Diagnostic("LOCK001").WithSpan(16, 13, 16, 66).WithSpan(15, 13, 15, 31).WithSpan(16, 13, 16, 66).WithSpan(16, 47, 16, 65).WithSpan(16, 52, 16, 65).WithSpan(12, 49, 12, 66)
                .WithMessage("'list_lock' (row 1) is acquired while 'entry_lock' (row 2) is held; the table orders list_lock first (via Array.ForEach -> lambda at line 16 -> Ops.Release -> acquiring 'list_lock' (row 1)). Release 'entry_lock' before acquiring list_lock, or take list_lock first."));

    [Fact]
    public Task LambdasAndLocalFunctions_InvokedUnderTheLock()
        => Order.WithTable(Header + """
                void M()
                {
                    Action f = () => { lock (A) { } };
                    lock (B)
                    {
                        {|LOCK001:f()|};
                        {|LOCK001:Local()|};
                        new List<int> { 1 }.ForEach(i => Local());
                    }
                    f();
                    void Local() { lock (A) { } }
                }
            }
            """.Replace("new List<int> { 1 }.ForEach(i => Local());", "{|LOCK001:new List<int> { 1 }.ForEach(i => Local())|};", System.StringComparison.Ordinal), Tables.ABS);

    [Fact]
    public Task VirtualAndInterfaceDispatch_UnionOfImplementations()
        => Order.WithTable("""
            interface IWork { void Do(); }
            abstract class Base { public abstract void Run(); public virtual void Step() { } }
            class Takes : Base, IWork
            {
                public void Do() { lock (C.A) { } }
                public override void Run() { }
                public override void Step() { lock (C.A) { } }
            }
            class Quiet : IWork { public void Do() { } }
            class C
            {
                public static readonly object A = new object();
                public static readonly object B = new object();
                void M(IWork w, Base b)
                {
                    lock (B)
                    {
                        {|LOCK001:w.Do()|};
                        b.Run();
                        {|LOCK001:b.Step()|};
                    }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task DeferredExecution_IsClean()
        => Sleep.WithTable(Header + """
                void M(Timer t)
                {
                    lock (S)
                    {
                        Task.Run(() => Thread.Sleep(1));
                        ThreadPool.QueueUserWorkItem(_ => Thread.Sleep(1));
                        Task.CompletedTask.ContinueWith(_ => Thread.Sleep(1));
                        Func<int> later = () => { Thread.Sleep(1); return 1; };
                        Store(later);
                    }
                }
                static Func<int>? _stored;
                static void Store(Func<int> f) => _stored = f;
            }
            """, Tables.ABS);

    [Fact]
    public Task SleepAfterUnlockInCallee_IsClean_SleepBeforeIsNot()
        => Sleep.WithTable(Header + """
                void DropsThenSleeps() { Monitor.Exit(S); Thread.Sleep(1); Monitor.Enter(S); }
                void Sleeps() { Thread.Sleep(1); }
                void M()
                {
                    lock (S)
                    {
                        DropsThenSleeps();
                        {|LOCK002:Sleeps()|};
                    }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task CalleeThatDropsTheCallersLockBeforeTakingAHigherOne_IsClean()
        => Order.WithTable(Header + """
                void DropsBThenTakesA() { Monitor.Exit(B); lock (A) { } Monitor.Enter(B); }
                void TakesAFirst() { lock (A) { } Monitor.Exit(B); Monitor.Enter(B); }
                void M()
                {
                    lock (B)
                    {
                        DropsBThenTakesA();
                        {|LOCK001:TakesAFirst()|};
                    }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task CalleeTakesAndDropsBeforeCallersLock_IsClean()
        => Order.WithTable(Header + """
                void TakesA() { lock (A) { } }
                void M()
                {
                    TakesA();
                    lock (B) { }
                    lock (A) { TakesA(); }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task SelfDeadlockThroughCallee_AndCalleeThatDropsCallersLock()
        => Self.WithTable(Header + """
                void TakesS() { lock (S) { } }
                void Unlocked() { Monitor.Exit(S); Monitor.Enter(S); }
                void M()
                {
                    lock (S)
                    {
                        {|LOCK003:TakesS()|};
                        Unlocked();
                    }
                }
            }
            """, Tables.ABS);
}

/// <summary>Summaries follow calls up to a depth (six calls below the call site): what happens deeper is not
/// reported, and of several paths to one lock the shortest is the one shown.</summary>
public class CallDepthTests
{
    private static string Chain(int depth)
    {
        var methods = new System.Text.StringBuilder();
        for (int i = 1; i < depth; i++)
        {
            methods.Append($"    static void M{i}() => M{i + 1}();\n");
        }

        methods.Append($"    static void M{depth}() {{ lock (A) {{ }} }}\n");
        return methods.ToString();
    }

    [Fact]
    public Task Reported_SixCallsDown_NotSeven()
        => Verify<LockOrder.Rules.DeclaredOrderAnalyzer>.WithTable(
            "class C\n{\n    public static readonly object A = new object();\n    public static readonly object B = new object();\n"
            + "    void Six() { lock (B) { {|LOCK001:M1()|}; } }\n"
            + "    void Seven() { lock (B) { N0(); } }\n    static void N0() => M1();\n"
            + Chain(6) + "}\n",
            Tables.ABS);
}
