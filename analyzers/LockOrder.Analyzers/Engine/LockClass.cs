using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine;

/// <summary>The primitive a lock is taken through; it decides reentrancy and the default kind.</summary>
internal enum LockPrimitive
{
    Monitor,
    SpinLock,
    ThreadingLock,
    SemaphoreSlim,
    Mutex,
    ReaderWriterLockSlim,
    Custom,
}

/// <summary>
/// A lock class, as in lockdep and Clang: the field, property or static member the lock object comes from
/// (or the type, for <c>lock (this)</c>), not the instance. Interned per compilation, so reference equality holds.
/// </summary>
internal sealed class LockClass
{
    public LockClass(string key, string codeName, LockDecl? decl, LockKind kind, bool reentrant, LockPrimitive primitive)
    {
        Key = key;
        CodeName = codeName;
        Decl = decl;
        Kind = kind;
        Reentrant = reentrant;
        Primitive = primitive;
    }

    /// <summary>The symbol key: "M:Ns.Type.Member", "T:Ns.Type", or "E:..." for an expression we could not name.</summary>
    public string Key { get; }

    /// <summary>The C# name, e.g. <c>CachedFid.FidLock</c>.</summary>
    public string CodeName { get; }

    /// <summary>The table row binding this class, if any.</summary>
    public LockDecl? Decl { get; }
    public LockKind Kind { get; }
    public bool Reentrant { get; }
    public LockPrimitive Primitive { get; }

    public bool IsSpinlock => Kind == LockKind.Spinlock;

    /// <summary>How diagnostics name the lock: the table name and row when declared, else the C# name.</summary>
    public string Display => Decl?.Display ?? $"'{CodeName}'";

    public override string ToString() => Display;
}

/// <summary>A lock class plus the access path of the instance (e.g. "p:cfid", "this", "static"), when known.</summary>
internal readonly struct LockRef
{
    public LockRef(LockClass @class, string? instance)
    {
        Class = @class;
        Instance = instance;
    }

    public LockClass Class { get; }
    public string? Instance { get; }
}

/// <summary>A lock held at a program point.</summary>
internal sealed class HeldLock
{
    public HeldLock(LockClass @class, string? instance, int count, bool acquiredAsync, IOperation site)
    {
        Class = @class;
        Instance = instance;
        Count = count;
        AcquiredAsync = acquiredAsync;
        Site = site;
    }

    public LockClass Class { get; }
    public string? Instance { get; }

    /// <summary>Recursion depth for reentrant primitives (Monitor, Mutex, Lock).</summary>
    public int Count { get; }

    /// <summary>Taken with <c>await SemaphoreSlim.WaitAsync()</c>: an async lock, fine across awaits.</summary>
    public bool AcquiredAsync { get; }

    /// <summary>Where it was acquired (first site, when several paths acquire it).</summary>
    public IOperation Site { get; }

    public bool SameLock(HeldLock other) => ReferenceEquals(Class, other.Class) && Instance == other.Instance;

    public HeldLock WithCount(int count) => new(Class, Instance, count, AcquiredAsync, Site);

    public HeldLock WithInstance(string? instance) => new(Class, instance, Count, AcquiredAsync, Site);

    public override string ToString() => Class.Display + (Instance is null ? "" : "@" + Instance) + (Count > 1 ? "x" + Count : "");
}
