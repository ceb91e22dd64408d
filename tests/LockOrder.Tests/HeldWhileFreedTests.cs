using System.Threading.Tasks;
using Xunit;
using V = LockOrder.Tests.Verify<LockOrder.Rules.HeldWhileFreedAnalyzer>;

namespace LockOrder.Tests;

public class HeldWhileFreedTests
{
    private const string Table = """
        {
          "locks": [
            { "name": "list_lock", "kind": "spinlock", "symbol": "K.Owner.ListLock" },
            { "name": "entry_lock", "kind": "spinlock", "symbol": "K.Entry.EntryLock" },
            { "name": "entry_mutex", "kind": "mutex", "symbol": "K.Entry.Mutex" }
          ],
          "primitives": [
            { "type": "K.Spin", "kind": "spinlock", "acquire": "Lock", "release": "Unlock" },
            { "type": "K.KMutex", "kind": "mutex", "acquire": "Lock", "release": "Unlock" }
          ],
          "invokes": [ "K.Ref.Put" ],
          "frees": [ "K.Ref.Put", "K.Ops.Free" ]
        }
        """;

    private const string Types = """
        namespace K
        {
            public sealed class Spin { public void Lock() { } public void Unlock() { } }
            public sealed class KMutex { public void Lock() { } public void Unlock() { } }
            public sealed class Ref { public bool Put(System.Action<Entry> release) => true; }
            public sealed class Owner { public readonly Spin ListLock = new Spin(); }
            public sealed class Entry
            {
                public readonly Spin EntryLock = new Spin();
                public readonly KMutex Mutex = new KMutex();
                public readonly Ref Refcount = new Ref();
            }
        """;

    [Fact]
    public Task Flagged_PutUnderTheEntrysOwnLock_WithMessage()
        => V.WithTable(Types + """
                public static class Ops
                {
                    public static void Free(Entry e) { }
                    static void Release(Entry e) { }
                    static void Laundromat(Entry cfid)
                    {
                        cfid.EntryLock.Lock();
                        cfid.Refcount.Put(Release);
                        cfid.EntryLock.Unlock();
                    }
                }
            }
            """, Table,
            V.Diagnostic("LOCK010").WithSpan(19, 13, 19, 39).WithSpan(18, 13, 18, 34).WithSpan(19, 13, 19, 39)
                .WithMessage("'entry_lock' (row 2) is held while the object that contains it ('cfid') may be freed (via Ref.Put); a thread waiting for the lock would use freed memory. Release 'entry_lock' (row 2) before the object can be freed."));

    [Fact]
    public Task Clean_OtherObjectsLock_AfterUnlock_AndReassigned()
        => V.WithTable(Types + """
                public static class Ops
                {
                    public static void Free(Entry e) { }
                    static void Release(Entry e) { }
                    static void M(Entry a, Entry b, Owner o)
                    {
                        a.EntryLock.Lock();
                        b.Refcount.Put(Release);
                        a.EntryLock.Unlock();
                        a.Refcount.Put(Release);
                        o.ListLock.Lock();
                        a.Refcount.Put(Release);
                        o.ListLock.Unlock();
                        var e = a;
                        e.EntryLock.Lock();
                        e = b;
                        Free(e);
                        a.EntryLock.Unlock();
                    }
                }
            }
            """, Table);

    [Fact]
    public Task Flagged_ReleaseThatFreesUnderItsOwnMutex_AndThroughAHelper()
        => V.WithTable(Types + """
                public static class Ops
                {
                    public static void Free(Entry e) { }
                    static void Release(Entry cfid)
                    {
                        cfid.Mutex.Lock();
                        {|LOCK010:Free(cfid)|};
                        cfid.Mutex.Unlock();
                    }
                    static void Drop(Entry x) => Free(x);
                    static void Caller(Entry y)
                    {
                        y.EntryLock.Lock();
                        {|LOCK010:Drop(y)|};
                        y.EntryLock.Unlock();
                    }
                }
            }
            """, Table);
}
