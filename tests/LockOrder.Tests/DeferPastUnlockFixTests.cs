using System.Threading.Tasks;
using LockOrder.CodeFixes;
using LockOrder.Rules;
using Xunit;
using Fix = LockOrder.Tests.VerifyFix<LockOrder.Rules.SleepInAtomicAnalyzer, LockOrder.CodeFixes.DeferPastUnlockFix>;

namespace LockOrder.Tests;

/// <summary>LOCK002/LOCK010 "defer past the unlock": the call moves after the release, only when that is safe.</summary>
public class DeferPastUnlockFixTests
{
    private const string Kernel = """
        using System.Threading;
        sealed class Spin { public void Lock() { } public void Unlock() { } }
        sealed class Dentry { public void Put() => Thread.Sleep(1); }

        """;

    private const string Table = """
        { "locks": [ { "name": "entry->lock", "kind": "spinlock", "symbol": "Entry.Gate" } ],
          "primitives": [ { "type": "Spin", "kind": "spinlock", "acquire": "Lock", "release": "Unlock" } ] }
        """;

    [Fact]
    public Task ACallBeforeTheUnlock_MovesAfterIt_TheLaundromatShape()
        => Fix.Source(Kernel + """
            sealed class Entry
            {
                public readonly Spin Gate = new Spin();
                public Dentry? Dentry;
                public bool Open;
                public int Count;
                void Expire()
                {
                    Gate.Lock();
                    var dentry = Dentry;
                    Dentry = null;
                    // the dentry is put with the lock held
                    dentry?{|LOCK002:.Put()|};
                    if (Open) { Count++; }
                    Gate.Unlock();
                }
            }
            """).Fixed(Kernel + """
            sealed class Entry
            {
                public readonly Spin Gate = new Spin();
                public Dentry? Dentry;
                public bool Open;
                public int Count;
                void Expire()
                {
                    Gate.Lock();
                    var dentry = Dentry;
                    Dentry = null;
                    if (Open) { Count++; }
                    Gate.Unlock();
                    // the dentry is put with the lock held
                    dentry?.Put();
                }
            }
            """).WithTable(Table);

    [Fact]
    public Task ACallInABranch_IsDeferredBehindAFlag()
        => Fix.Source(Kernel + """
            sealed class Entry
            {
                public readonly Spin Gate = new Spin();
                public Dentry Dentry = new Dentry();
                public bool Lease;
                void Drop()
                {
                    Gate.Lock();
                    if (Lease)
                    {
                        Lease = false;
                        {|LOCK002:Dentry.Put()|};
                    }

                    Gate.Unlock();
                }
            }
            """).Fixed(Kernel + """
            sealed class Entry
            {
                public readonly Spin Gate = new Spin();
                public Dentry Dentry = new Dentry();
                public bool Lease;
                void Drop()
                {
                    Gate.Lock();
                    var deferredPut = false;
                    if (Lease)
                    {
                        Lease = false;
                        deferredPut = true;
                    }

                    Gate.Unlock();
                    if (deferredPut)
                        Dentry.Put();
                }
            }
            """).WithTable(Table);

    [Fact]
    public Task InALockStatementOrTryFinally_TheCallMovesAfterTheStatement()
        => Fix.Source("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                private int _n;
                void M()
                {
                    bool taken = false;
                    _spin.Enter(ref taken);
                    try
                    {
                        _n++;
                        {|LOCK002:Thread.Sleep(1)|};
                    }
                    finally
                    {
                        if (taken) _spin.Exit();
                    }
                }
            }
            """).Fixed("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                private int _n;
                void M()
                {
                    bool taken = false;
                    _spin.Enter(ref taken);
                    try
                    {
                        _n++;
                    }
                    finally
                    {
                        if (taken) _spin.Exit();
                    }

                    Thread.Sleep(1);
                }
            }
            """);

    [Fact]
    public Task InALockStatement_TheCallMovesAfterIt()
        => Fix.Source("""
            using System.Threading;
            class C
            {
                private readonly object _o = new object();
                private int _n;
                void M()
                {
                    lock (_o)
                    {
                        _n++;
                        {|LOCK002:Thread.Sleep(1)|};
                    }
                }
            }
            """).Fixed("""
            using System.Threading;
            class C
            {
                private readonly object _o = new object();
                private int _n;
                void M()
                {
                    lock (_o)
                    {
                        _n++;
                    }

                    Thread.Sleep(1);
                }
            }
            """).WithTable("""{ "locks": [ { "name": "o", "kind": "spinlock", "symbol": "C._o" } ] }""");

    [Fact]
    public Task AMemberTheLockProtects_IsReadUnderTheLockFirst()
        => Fix.Source(Kernel + """
            sealed class Entry
            {
                public readonly Spin Gate = new Spin();
                public Dentry Dentry = new Dentry();
                void Drop()
                {
                    Gate.Lock();
                    {|LOCK002:Dentry.Put()|};
                    Gate.Unlock();
                }
            }
            """).Fixed(Kernel + """
            sealed class Entry
            {
                public readonly Spin Gate = new Spin();
                public Dentry Dentry = new Dentry();
                void Drop()
                {
                    Gate.Lock();
                    var dentry = Dentry;
                    Gate.Unlock();
                    dentry.Put();
                }
            }
            """).WithTable("""
            { "locks": [ { "name": "entry->lock", "kind": "spinlock", "symbol": "Entry.Gate", "protects": [ "Entry.Dentry" ] } ],
              "primitives": [ { "type": "Spin", "kind": "spinlock", "acquire": "Lock", "release": "Unlock" } ] }
            """);

    [Fact]
    public Task ReleasedOnTheCallsOwnPath_MovesAfterThatRelease()
        => Fix.Source("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                void M(string d)
                {
                    bool taken = false;
                    _spin.Enter(ref taken);
                    if (d.Length > 0) { {|LOCK002:Thread.Sleep(1)|}; _spin.Exit(); return; }
                    _spin.Exit();
                }
            }
            """).Fixed("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                void M(string d)
                {
                    bool taken = false;
                    _spin.Enter(ref taken);
                    if (d.Length > 0) { _spin.Exit(); Thread.Sleep(1); return; }
                    _spin.Exit();
                }
            }
            """);

    [Fact]
    public Task FixAll_MovesEveryCallOfTheDocument()
        => Fix.Source(Kernel + """
            sealed class Entry
            {
                public readonly Spin Gate = new Spin();
                void A(Dentry d) { Gate.Lock(); {|LOCK002:d.Put()|}; Gate.Unlock(); }
                void B(Dentry d, Dentry e) { Gate.Lock(); {|LOCK002:d.Put()|}; {|LOCK002:e.Put()|}; Gate.Unlock(); }
            }
            """).Fixed(Kernel + """
            sealed class Entry
            {
                public readonly Spin Gate = new Spin();
                void A(Dentry d) { Gate.Lock(); Gate.Unlock(); d.Put(); }
                void B(Dentry d, Dentry e) { Gate.Lock(); Gate.Unlock(); e.Put(); d.Put(); }
            }
            """).FixedByFixAll(Kernel + """
            sealed class Entry
            {
                public readonly Spin Gate = new Spin();
                void A(Dentry d) { Gate.Lock(); Gate.Unlock(); d.Put(); }
                void B(Dentry d, Dentry e) { Gate.Lock(); Gate.Unlock(); e.Put(); d.Put(); }
            }
            """).WithTable(Table);

    [Theory]
    [InlineData("var r = d.Length; {|LOCK002:Thread.Sleep(r)|}; Use(r);", "a local the call reads is used after it")]
    [InlineData("{|LOCK002:Thread.Sleep(1)|}; if (d.Length > 0) return;", "a return between the call and the release")]
    [InlineData("for (int i = 0; i < 2; i++) { {|LOCK002:Thread.Sleep(i)|}; }", "the call is in a loop")]
    [InlineData("var n = {|LOCK002:Block(d)|};", "the call's value is used")]
    [InlineData("{|LOCK002:Thread.Sleep(1)|}; if (d.Length > 0) { _spin.Exit(); _spin.Enter(ref taken); }", "the lock is released and taken again between")]
    [InlineData("{|LOCK002:Thread.Sleep(d.Length)|}; d = \"\";", "a parameter the call reads is assigned after it")]
    public Task Withheld(string body, string why)
    {
        Assert.NotEmpty(why);
        return Fix.Source("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                static void Use(int n) { }
                static int Block(string s) { Thread.Sleep(1); return 1; }
                void M(string d)
                {
                    bool taken = false;
                    _spin.Enter(ref taken);
                    BODY
                    _spin.Exit();
                }
            }
            """.Replace("BODY", body, System.StringComparison.Ordinal));
    }
}

/// <summary>The same fix for LOCK010: the put that may free the lock's owner moves after the unlock.</summary>
public class DeferPutPastUnlockFixTests
{
    private const string Code = """
        sealed class Spin { public void Lock() { } public void Unlock() { } }
        sealed class Kref { public void Put(System.Action<Entry> release) { } }
        sealed class Entry
        {
            public readonly Spin Gate = new Spin();
            public readonly Kref Refcount = new Kref();
            static void Release(Entry e) { }
            void Drop()
            {
                Gate.Lock();
                BODY
            }
        }
        """;

    private const string Table = """
        { "locks": [ { "name": "entry->lock", "kind": "spinlock", "symbol": "Entry.Gate" } ],
          "primitives": [ { "type": "Spin", "kind": "spinlock", "acquire": "Lock", "release": "Unlock" } ],
          "frees": [ "Kref.Put" ] }
        """;

    [Fact]
    public Task ThePutMovesAfterTheUnlock()
        => VerifyFix<LockOrder.Rules.HeldWhileFreedAnalyzer, LockOrder.CodeFixes.DeferPastUnlockFix>
            .Source(Code.Replace("BODY", "{|LOCK010:Refcount.Put(Release)|};\n        Gate.Unlock();", System.StringComparison.Ordinal))
            .Fixed(Code.Replace("BODY", "Gate.Unlock();\n        Refcount.Put(Release);", System.StringComparison.Ordinal))
            .WithTable(Table);
}
