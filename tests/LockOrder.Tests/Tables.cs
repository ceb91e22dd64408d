namespace LockOrder.Tests;

/// <summary>Small lock tables shared by the rule tests.</summary>
internal static class Tables
{
    /// <summary>C.A (row 1, mutex) is taken before C.B (row 2, mutex) before C.S (row 3, spinlock).</summary>
    public const string ABS = """
        {
          "locks": [
            { "name": "c->a", "kind": "mutex", "symbol": "C.A" },
            { "name": "c->b", "kind": "mutex", "symbol": "C.B" },
            { "name": "c->s", "kind": "spinlock", "symbol": "C.S" }
          ]
        }
        """;

    /// <summary>A kernel-style spinlock type declared as a custom primitive, with two rows bound to it.</summary>
    public const string Kernel = """
        {
          "locks": [
            { "name": "list_lock", "kind": "spinlock", "symbol": "K.Owner.ListLock" },
            { "name": "entry_lock", "kind": "spinlock", "symbol": "K.Entry.EntryLock" },
            { "name": "entry_mutex", "kind": "mutex", "symbol": "K.Entry.Mutex" }
          ],
          "primitives": [
            { "type": "K.Spin", "kind": "spinlock", "acquire": "Lock", "release": "Unlock", "tryAcquire": "TryLock" },
            { "type": "K.KMutex", "kind": "mutex", "acquire": "Lock", "release": "Unlock", "tryAcquire": "TryLock" }
          ],
          "blocking": [ "K.Io.Sleepy" ]
        }
        """;

    public const string KernelTypes = """
        namespace K
        {
            public sealed class Spin { public void Lock() { } public void Unlock() { } public bool TryLock() => true; }
            public sealed class KMutex { public void Lock() { } public void Unlock() { } public bool TryLock() => true; }
            public static class Io { public static void Sleepy() { } }
            public sealed class Owner { public readonly Spin ListLock = new Spin(); }
            public sealed class Entry { public readonly Spin EntryLock = new Spin(); public readonly KMutex Mutex = new KMutex(); }
        }
        """;
}
