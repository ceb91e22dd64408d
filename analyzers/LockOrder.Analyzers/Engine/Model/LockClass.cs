using LockOrder.Engine.Knowledge;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Model;

/// <summary>What a lock class is named after: the identity it is interned by.</summary>
internal abstract record LockIdentity
{
    private LockIdentity()
    {
    }

    /// <summary>A lock object stored in a field or property (the common case): every instance shares the class.</summary>
    public sealed record Member(ISymbol Symbol) : LockIdentity;

    /// <summary>A lock on an object of a type (<c>lock (this)</c>, <c>typeof(T)</c>, a parameter or local of a user type).</summary>
    public sealed record Type(ITypeSymbol Symbol) : LockIdentity;

    /// <summary>A lock object passed in as a parameter of a framework type (<c>lock (o)</c> with <c>object o</c>).</summary>
    public sealed record Parameter(IParameterSymbol Symbol) : LockIdentity;

    /// <summary>An expression the engine cannot name otherwise, per body and text.</summary>
    public sealed record Expression(ISymbol Owner, string Text) : LockIdentity;
}

/// <summary>
/// A lock class, as in lockdep and Clang: the field, property or static member the lock object comes from (or the
/// type, for <c>lock (this)</c>), not the instance. Interned per compilation (<see cref="LockClasses"/>), so
/// reference equality holds.
/// </summary>
internal sealed class LockClass
{
    /// <param name="reentrant">The primitive's reentrancy as this class's objects are made (a ReaderWriterLockSlim
    /// created with SupportsRecursion is reentrant); a spinlock-kind row is never reentrant.</param>
    public LockClass(LockIdentity identity, string sortKey, string codeName, LockDecl? decl, LockApi api, bool reentrant)
    {
        Identity = identity;
        SortKey = sortKey;
        CodeName = codeName;
        Decl = decl;
        Api = api;
        Kind = decl?.Kind ?? api.Kind;
        Reentrant = reentrant && Kind != LockKind.Spinlock;
    }

    public LockIdentity Identity { get; }

    /// <summary>A stable text for ordering (reports list cycles from their smallest lock): "M:Ns.Type.Member",
    /// "T:Ns.Type", "P:Ns.Type.Method(p)" or "E:Ns.Type.Method:text". Not an identity.</summary>
    public string SortKey { get; }

    /// <summary>The C# name, e.g. <c>CachedFid.FidLock</c>.</summary>
    public string CodeName { get; }

    /// <summary>The table row binding this class, if any.</summary>
    public LockDecl? Decl { get; }

    /// <summary>The primitive it was first seen taken through; it decides reentrancy and the default kind.</summary>
    public LockApi Api { get; }

    public LockKind Kind { get; }

    public bool Reentrant { get; }

    public bool IsSpinlock => Kind == LockKind.Spinlock;

    /// <summary>How diagnostics name the lock: the table name and row when declared, else the C# name.</summary>
    public string Display => Decl?.Display ?? $"'{CodeName}'";

    public override string ToString() => Display;
}

/// <summary>A lock class plus the instance (the object that contains the lock), when known.</summary>
internal readonly record struct LockRef(LockClass Class, AccessPath? Instance)
{
    /// <summary>The path of the lock object itself: the member the lock lives in, of its instance (or the static
    /// member); the instance, for a lock on an object named directly (a local, a parameter, <c>this</c>).</summary>
    public AccessPath? ObjectPath => Class.Identity switch
    {
        LockIdentity.Member member => Instance is AccessPath.Global ? new AccessPath.Static(member.Symbol) : Instance?.Dot(member.Symbol),
        LockIdentity.Expression or LockIdentity.Parameter => Instance,
        LockIdentity.Type when Instance is not AccessPath.Global => Instance,
        _ => null,
    };
}

/// <summary>A lock held at a program point.</summary>
/// <param name="Count">Recursion depth for reentrant primitives (Monitor, Mutex, Lock).</param>
/// <param name="AcquiredAsync">Taken with <c>await SemaphoreSlim.WaitAsync()</c>: an async lock, fine across awaits.</param>
/// <param name="Site">Where it was acquired (the first site, when several paths acquire it).</param>
internal sealed record HeldLock(LockClass Class, AccessPath? Instance, int Count, bool AcquiredAsync, SyntaxNode Site)
{
    /// <summary>The mode it is held in (read, upgradeable or write, for a reader-writer lock).</summary>
    public LockMode Mode { get; init; }

    /// <summary>A lock statement whose graph has no release (see <see cref="LockEvent.Scope"/>): the lock is held
    /// until control leaves this syntax.</summary>
    public SyntaxNode? Scope { get; init; }

    /// <summary>The path of the lock object itself (see <see cref="LockRef.ObjectPath"/>).</summary>
    public AccessPath? ObjectPath => new LockRef(Class, Instance).ObjectPath;

    public bool SameLock(HeldLock other) => ReferenceEquals(Class, other.Class) && Equals(Instance, other.Instance) && Mode == other.Mode;

    public override string ToString() => Class.Display + (Mode == LockMode.Exclusive ? "" : "/" + Mode) + (Instance is null ? "" : "@" + Instance) + (Count > 1 ? "x" + Count : "");
}

/// <summary>How a reader-writer lock is held; every other lock is held exclusively.</summary>
internal enum LockMode
{
    Exclusive,
    Read,
    Upgradeable,
    Write,
}

/// <summary>The framework's rules for entering a reader-writer lock again in some mode.</summary>
internal static class LockModes
{
    /// <summary>Why entering <paramref name="taken"/> while holding <paramref name="held"/> throws, or null when it is
    /// allowed: a thread in upgradeable mode may enter write or read mode; one in read mode may never enter
    /// upgradeable or write mode; any other re-entry needs LockRecursionPolicy.SupportsRecursion.</summary>
    public static string? RecursionProblem(LockMode held, LockMode taken, bool supportsRecursion)
    {
        if (held == LockMode.Upgradeable && taken is LockMode.Read or LockMode.Write)
        {
            return null;
        }

        if (held == LockMode.Read && taken is LockMode.Upgradeable or LockMode.Write)
        {
            return $"a thread in read mode cannot enter {Name(taken)} mode: ReaderWriterLockSlim throws LockRecursionException whatever its recursion policy (enter upgradeable mode instead of read mode to upgrade later)";
        }

        return supportsRecursion
            ? null
            : $"entering {Name(taken)} mode while in {Name(held)} mode throws LockRecursionException: this ReaderWriterLockSlim is not created with LockRecursionPolicy.SupportsRecursion";
    }

    public static string Name(LockMode mode) => mode switch
    {
        LockMode.Read => "read",
        LockMode.Upgradeable => "upgradeable",
        LockMode.Write => "write",
        _ => "exclusive",
    };
}

internal enum LockEventKind
{
    Acquire,
    TryAcquire,
    Release,
}

/// <summary>What one invocation does to a lock.</summary>
/// <param name="MayWait">The acquisition can block the thread (a plain acquire, or a try-lock with a timeout).</param>
/// <param name="IsAsync">Taken through <c>SemaphoreSlim.WaitAsync</c>: held once the awaiting completes.</param>
/// <param name="RefGuard">The <c>ref bool lockTaken</c> argument, when there is one.</param>
internal sealed record LockEvent(LockEventKind Kind, LockRef Lock, bool MayWait, bool IsAsync = false, ILocalSymbol? RefGuard = null)
{
    /// <summary>The mode taken or released (read, upgradeable or write, for a reader-writer lock).</summary>
    public LockMode Mode { get; init; }

    /// <summary>For a lock statement the compiler's flow graph leaves unlowered (no acquire or release call in it):
    /// the statement, whose end releases the lock.</summary>
    public SyntaxNode? Scope { get; init; }
}
