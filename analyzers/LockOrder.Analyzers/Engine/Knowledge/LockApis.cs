using System.Collections.Immutable;
using System.Linq;
using LockOrder.Engine.Model;
using LockOrder.Hierarchy;

namespace LockOrder.Engine.Knowledge;

/// <summary>What an API member does to its lock.</summary>
internal enum LockOp
{
    /// <summary>Takes the lock, waiting as long as it takes.</summary>
    Acquire,

    /// <summary>Takes the lock if it can; whether it did is reported (a result, a <c>ref bool</c>). It waits only
    /// when given a timeout other than 0.</summary>
    TryAcquire,

    /// <summary><see cref="Acquire"/> without a timeout argument, <see cref="TryAcquire"/> with one
    /// (<c>SemaphoreSlim.Wait</c>, <c>WaitHandle.WaitOne</c>).</summary>
    AcquireOrTryWhenTimed,

    /// <summary>An awaited acquisition (<c>await sem.WaitAsync()</c>): held once the await completes. Only the
    /// overloads without a timeout are understood as locking.</summary>
    AsyncAcquire,

    /// <summary>Releases the lock.</summary>
    Release,
}

/// <summary>Where an API member finds its lock object.</summary>
internal enum LockTarget
{
    /// <summary>The receiver: <c>spin.Enter(ref taken)</c>.</summary>
    Receiver,

    /// <summary>The first argument: <c>Monitor.Enter(o)</c>, or a table wrapper <c>spin_lock(l)</c>.</summary>
    FirstArgument,

    /// <summary>The receiver of the <c>EnterScope()</c> call that made the receiver (<c>Lock.Scope.Dispose</c>).</summary>
    ScopeOwner,
}

/// <summary>One member of a lock API: its name, what it does, and in which mode (for reader-writer locks).</summary>
internal sealed record LockApiMember(string Name, LockOp Op, LockTarget Target, LockMode Mode = LockMode.Exclusive);

/// <summary>
/// One lock primitive, declaratively: its type, what each member does and where it finds its lock, the kind of lock
/// it is, whether it is reentrant, and what the rules need to know about it. The built-in entries are below; the
/// table's <c>primitives</c> become entries of the same shape (<see cref="FromTable"/>). To teach LockOrder a new
/// framework primitive, add one entry to <see cref="BuiltIn"/>.
/// </summary>
/// <param name="Type">The type, namespace-qualified, nested types joined with '.', generic arity ignored.</param>
/// <param name="Kind">The kind of lock when no table row says otherwise.</param>
internal sealed record LockApi(string Type, LockKind Kind, bool Reentrant, ImmutableArray<LockApiMember> Members)
{
    /// <summary>It spins: acquiring it never sleeps, whatever the overload.</summary>
    public bool Spins { get; init; }

    /// <summary>Another owner may release what this one took (a counting semaphore): held-at-exit and
    /// release-when-not-held are not errors for it.</summary>
    public bool ReleasedByOthers { get; init; }

    /// <summary>How LOCK003 names the primitive when it is not reentrant; null says "a {kind}".</summary>
    public string? NonReentrantName { get; init; }

    /// <summary>A semaphore: a lock only when it has one permit (its constructor's initial count, by this parameter,
    /// is 1 and its maximum, by the second, is 1), or, when that is not known, where one body both waits on it and
    /// releases it. Otherwise it is a signal: its wait is a blocking call and holds nothing.</summary>
    public (string Initial, string Maximum)? Permits { get; init; }

    /// <summary>A reader-writer lock: its recursion policy is this constructor parameter (LockRecursionPolicy, where
    /// 1 is SupportsRecursion); without it the lock is not reentrant.</summary>
    public string? RecursionPolicyParameter { get; init; }

    /// <summary>Taken in modes (read, upgradeable, write), with the framework's rules for moving between them.</summary>
    public bool HasModes => Members.Any(m => m.Mode != LockMode.Exclusive);

    /// <summary>The member named <paramref name="name"/>, if this API has it.</summary>
    public LockApiMember? Member(string name) => Members.FirstOrDefault(m => m.Name == name);

    public static readonly ImmutableArray<LockApi> BuiltIn = ImmutableArray.Create(
        new LockApi("System.Threading.Monitor", LockKind.Mutex, Reentrant: true, Of(LockTarget.FirstArgument,
            ("Enter", LockOp.Acquire), ("TryEnter", LockOp.TryAcquire), ("Exit", LockOp.Release))),
        new LockApi("System.Threading.Lock", LockKind.Mutex, Reentrant: true, Of(LockTarget.Receiver,
            ("Enter", LockOp.Acquire), ("EnterScope", LockOp.Acquire), ("TryEnter", LockOp.TryAcquire), ("Exit", LockOp.Release))),
        new LockApi("System.Threading.Lock.Scope", LockKind.Mutex, Reentrant: true, Of(LockTarget.ScopeOwner,
            ("Dispose", LockOp.Release))),
        new LockApi("System.Threading.SpinLock", LockKind.Spinlock, Reentrant: false, Of(LockTarget.Receiver,
            ("Enter", LockOp.Acquire), ("TryEnter", LockOp.TryAcquire), ("Exit", LockOp.Release)))
        {
            Spins = true,
            NonReentrantName = "System.Threading.SpinLock",
        },
        new LockApi("System.Threading.SemaphoreSlim", LockKind.Mutex, Reentrant: false, Of(LockTarget.Receiver,
            ("Wait", LockOp.AcquireOrTryWhenTimed), ("WaitAsync", LockOp.AsyncAcquire), ("Release", LockOp.Release)))
        {
            ReleasedByOthers = true,
            NonReentrantName = "SemaphoreSlim",
            Permits = ("initialCount", "maxCount"),
        },
        new LockApi("System.Threading.Semaphore", LockKind.Mutex, Reentrant: false, Of(LockTarget.Receiver,
            ("WaitOne", LockOp.AcquireOrTryWhenTimed), ("Release", LockOp.Release)))
        {
            ReleasedByOthers = true,
            NonReentrantName = "Semaphore",
            Permits = ("initialCount", "maximumCount"),
        },
        new LockApi("System.Threading.Mutex", LockKind.Mutex, Reentrant: true, Of(LockTarget.Receiver,
            ("WaitOne", LockOp.AcquireOrTryWhenTimed), ("ReleaseMutex", LockOp.Release))),
        new LockApi("System.Threading.ReaderWriterLockSlim", LockKind.RwSem, Reentrant: false, ImmutableArray.Create(
            Rw("EnterReadLock", LockOp.Acquire, LockMode.Read), Rw("EnterWriteLock", LockOp.Acquire, LockMode.Write),
            Rw("EnterUpgradeableReadLock", LockOp.Acquire, LockMode.Upgradeable),
            Rw("TryEnterReadLock", LockOp.TryAcquire, LockMode.Read), Rw("TryEnterWriteLock", LockOp.TryAcquire, LockMode.Write),
            Rw("TryEnterUpgradeableReadLock", LockOp.TryAcquire, LockMode.Upgradeable),
            Rw("ExitReadLock", LockOp.Release, LockMode.Read), Rw("ExitWriteLock", LockOp.Release, LockMode.Write),
            Rw("ExitUpgradeableReadLock", LockOp.Release, LockMode.Upgradeable)))
        {
            NonReentrantName = "ReaderWriterLockSlim (without LockRecursionPolicy.SupportsRecursion)",
            RecursionPolicyParameter = "recursionPolicy",
        });

    /// <summary>A primitive of the table: instance members by name (lock = receiver), static wrappers by qualified
    /// name (lock = first argument).</summary>
    public static LockApi FromTable(PrimitiveDecl primitive)
    {
        var members = ImmutableArray.CreateBuilder<LockApiMember>();
        void Add(ImmutableArray<Located> names, LockOp op)
        {
            foreach (var name in names)
            {
                members.Add(new LockApiMember(name.Value, op, name.Value.IndexOf('.') >= 0 ? LockTarget.FirstArgument : LockTarget.Receiver));
            }
        }

        Add(primitive.Acquire, LockOp.Acquire);
        Add(primitive.TryAcquire, LockOp.TryAcquire);
        Add(primitive.Release, LockOp.Release);
        return new LockApi(primitive.Type.Value, primitive.Kind, primitive.Reentrant, members.ToImmutable());
    }

    private static LockApiMember Rw(string name, LockOp op, LockMode mode) => new(name, op, LockTarget.Receiver, mode);

    private static ImmutableArray<LockApiMember> Of(LockTarget target, params (string Name, LockOp Op)[] members)
        => members.Select(m => new LockApiMember(m.Name, m.Op, target)).ToImmutableArray();
}
