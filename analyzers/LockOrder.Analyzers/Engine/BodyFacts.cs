using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine;

/// <summary>A lock acquisition and what was held just before it.</summary>
internal sealed class AcquireFact
{
    public AcquireFact(LockEvent lockEvent, ImmutableArray<HeldLock> heldBefore, IOperation operation, ImmutableHashSet<LockClass>? dropped = null)
    {
        Dropped = dropped ?? ImmutableHashSet<LockClass>.Empty;
        Event = lockEvent;
        HeldBefore = heldBefore;
        Operation = operation;
    }

    public LockEvent Event { get; }
    public LockRef Lock => Event.Lock;
    public bool IsTry => Event.Kind == LockEventKind.TryAcquire;
    public ImmutableArray<HeldLock> HeldBefore { get; }
    public IOperation Operation { get; }

    /// <summary>Caller-held lock classes this body has dropped on every path to here.</summary>
    public ImmutableHashSet<LockClass> Dropped { get; }
}

/// <summary>A lock release; <see cref="WasHeld"/> is false when no path shows it held.</summary>
internal sealed class ReleaseFact
{
    public ReleaseFact(LockEvent lockEvent, bool wasHeld, IOperation operation)
    {
        Event = lockEvent;
        WasHeld = wasHeld;
        Operation = operation;
    }

    public LockEvent Event { get; }
    public bool WasHeld { get; }
    public IOperation Operation { get; }
}

/// <summary>A delegate passed as an argument: parameter ordinal, the method or lambda it denotes, and where.</summary>
internal sealed class DelegateArgument
{
    public DelegateArgument(int ordinal, IMethodSymbol target, IOperation argument)
    {
        Ordinal = ordinal;
        Target = target;
        Argument = argument;
    }

    public int Ordinal { get; }
    public IMethodSymbol Target { get; }
    public IOperation Argument { get; }
}

/// <summary>What a call may run besides its target: the lambda or method a delegate invocation calls, a
/// parameter of the enclosing body it invokes, delegates passed as arguments, parameters passed on.</summary>
internal sealed class CallTargets
{
    public static readonly CallTargets None = new(null, -1, ImmutableArray<DelegateArgument>.Empty, ImmutableArray<(int, int)>.Empty);

    public CallTargets(IMethodSymbol? invokedDelegate, int invokedParameter, ImmutableArray<DelegateArgument> delegateArguments, ImmutableArray<(int Ordinal, int CallerParameter)> forwardedParameters, ISymbol? invokedMember = null)
    {
        InvokedMember = invokedMember;
        InvokedDelegate = invokedDelegate;
        InvokedParameter = invokedParameter;
        DelegateArguments = delegateArguments;
        ForwardedParameters = forwardedParameters;
    }

    /// <summary>For <c>d()</c>: the lambda, local function or method <c>d</c> is known to hold.</summary>
    public IMethodSymbol? InvokedDelegate { get; }

    /// <summary>For <c>_callback()</c>: the delegate-typed field or property invoked (its targets are whatever the
    /// compilation assigns to it).</summary>
    public ISymbol? InvokedMember { get; }

    /// <summary>For <c>p()</c> where p is a parameter of the body: its ordinal, else -1.</summary>
    public int InvokedParameter { get; }
    public ImmutableArray<DelegateArgument> DelegateArguments { get; }

    /// <summary>Delegate parameters of the body passed on: (argument ordinal in the call, parameter ordinal in the body).</summary>
    public ImmutableArray<(int Ordinal, int CallerParameter)> ForwardedParameters { get; }
}

/// <summary>A call (method, property accessor, constructor) and the locks held around it.</summary>
internal sealed class CallFact
{
    public CallFact(IOperation operation, IMethodSymbol? target, ImmutableArray<HeldLock> held, string? blocking, CallTargets? targets = null, ImmutableArray<string?> objectPaths = default, ImmutableHashSet<LockClass>? dropped = null)
    {
        Dropped = dropped ?? ImmutableHashSet<LockClass>.Empty;
        ObjectPaths = objectPaths.IsDefault ? ImmutableArray<string?>.Empty : objectPaths;
        Operation = operation;
        Target = target;
        Held = held;
        Blocking = blocking;
        Targets = targets ?? CallTargets.None;
    }

    public CallTargets Targets { get; }

    /// <summary>Caller-held lock classes this body has dropped on every path to the call.</summary>
    public ImmutableHashSet<LockClass> Dropped { get; }

    /// <summary>Access paths of the objects the call works on: index 0 the receiver (null when static or
    /// unknown), index 1 the receiver's owner when the receiver is a member, then one per argument.</summary>
    public ImmutableArray<string?> ObjectPaths { get; }

    public IOperation Operation { get; }
    public IMethodSymbol? Target { get; }
    public ImmutableArray<HeldLock> Held { get; }

    /// <summary>Display name when the catalog or the table says this call may block or sleep.</summary>
    public string? Blocking { get; }
}

/// <summary>A read or write of a member the table says a lock protects, and the locks held there.</summary>
internal sealed class AccessFact
{
    public AccessFact(ISymbol member, LockOrder.Hierarchy.LockDecl protectedBy, bool isWrite, ImmutableArray<HeldLock> held, IOperation operation)
    {
        Member = member;
        ProtectedBy = protectedBy;
        IsWrite = isWrite;
        Held = held;
        Operation = operation;
    }

    public ISymbol Member { get; }
    public LockOrder.Hierarchy.LockDecl ProtectedBy { get; }
    public bool IsWrite { get; }
    public ImmutableArray<HeldLock> Held { get; }
    public IOperation Operation { get; }
}

/// <summary>An await and the locks held across it.</summary>
internal sealed class AwaitFact
{
    public AwaitFact(IOperation operation, ImmutableArray<HeldLock> held)
    {
        Operation = operation;
        Held = held;
    }

    public IOperation Operation { get; }
    public ImmutableArray<HeldLock> Held { get; }
}

/// <summary>Paths that meet holding different locks (at a join, or at the method's exit).</summary>
internal sealed class MergeFact
{
    public MergeFact(Location location, ImmutableArray<HeldLock> onSomePaths, bool atExit)
    {
        Location = location;
        OnSomePaths = onSomePaths;
        AtExit = atExit;
    }

    public Location Location { get; }
    public ImmutableArray<HeldLock> OnSomePaths { get; }
    public bool AtExit { get; }
}

/// <summary>
/// Everything the engine learned about one body (a method, accessor, constructor, lambda or local function).
/// Rules are thin readers of these facts.
/// </summary>
internal sealed class BodyFacts
{
    public BodyFacts(
        ISymbol owner,
        IOperation? root,
        ImmutableArray<AcquireFact> acquisitions,
        ImmutableArray<ReleaseFact> releases,
        ImmutableArray<CallFact> calls,
        ImmutableArray<AwaitFact> awaits,
        ImmutableArray<MergeFact> merges,
        ImmutableArray<HeldLock> heldAtExit,
        ImmutableArray<AccessFact> accesses = default)
    {
        Accesses = accesses.IsDefault ? ImmutableArray<AccessFact>.Empty : accesses;
        Owner = owner;
        Root = root;
        Acquisitions = acquisitions;
        Releases = releases;
        Calls = calls;
        Awaits = awaits;
        Merges = merges;
        HeldAtExit = heldAtExit;
    }

    /// <summary>The method, local function or lambda's symbol.</summary>
    public ISymbol Owner { get; }
    public IOperation? Root { get; }
    public ImmutableArray<AcquireFact> Acquisitions { get; }
    public ImmutableArray<ReleaseFact> Releases { get; }
    public ImmutableArray<CallFact> Calls { get; }
    public ImmutableArray<AwaitFact> Awaits { get; }
    public ImmutableArray<MergeFact> Merges { get; }

    /// <summary>Reads and writes of members listed in the table's 'protects'.</summary>
    public ImmutableArray<AccessFact> Accesses { get; }

    /// <summary>Locks held on every path that reaches the normal exit.</summary>
    public ImmutableArray<HeldLock> HeldAtExit { get; }
}

/// <summary>The facts of a method body and of each lambda and local function inside it.</summary>
internal sealed class MethodFacts
{
    public static readonly MethodFacts None = new(ImmutableArray<BodyFacts>.Empty);

    public MethodFacts(ImmutableArray<BodyFacts> bodies) => Bodies = bodies;

    public ImmutableArray<BodyFacts> Bodies { get; }
}
