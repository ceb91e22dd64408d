using System.Collections.Immutable;
using LockOrder.Engine.Model;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Flow;

/// <summary>A lock acquisition and what was held just before it.</summary>
/// <param name="Dropped">Caller-held lock classes this body has dropped on every path to here.</param>
/// <param name="Place">Where the lock lives relative to the body's object.</param>
internal sealed record AcquireFact(LockEvent Event, ImmutableArray<HeldLock> HeldBefore, SyntaxNode Syntax, ImmutableHashSet<LockClass> Dropped, LockPlace Place)
{
    /// <summary>Instances this one is always taken after, by an order fixed by a key (see
    /// <see cref="BodyContext.IsOrderedPair"/>).</summary>
    public ImmutableArray<AccessPath> OrderedAfter { get; init; } = ImmutableArray<AccessPath>.Empty;

    public LockRef Lock => Event.Lock;

    public bool IsTry => Event.Kind == LockEventKind.TryAcquire;
}

/// <summary>A lock release; <see cref="WasHeld"/> is false when some path reaches it without the lock.</summary>
internal sealed record ReleaseFact(LockEvent Event, bool WasHeld, SyntaxNode Syntax);

/// <summary>A delegate passed as an argument: the parameter's ordinal, the method or lambda it denotes, and where.</summary>
internal sealed record DelegateArgument(int Ordinal, IMethodSymbol Target, SyntaxNode Argument);

/// <summary>A delegate parameter of the body passed on as an argument of a call.</summary>
/// <param name="Ordinal">The argument's parameter ordinal in the callee.</param>
/// <param name="CallerParameter">The parameter's ordinal in the body making the call.</param>
internal sealed record ForwardedParameter(int Ordinal, int CallerParameter);

/// <summary>What a call may run besides its target: the lambda or method a delegate invocation calls, a
/// delegate-typed member or parameter it invokes, delegates passed as arguments, delegate parameters passed on.</summary>
/// <param name="InvokedDelegate">For <c>d()</c>: the lambda, local function or method <c>d</c> is known to hold.</param>
/// <param name="InvokedMember">For <c>_callback()</c>: the delegate-typed field or property invoked (its targets are
/// whatever the compilation stores in it).</param>
/// <param name="InvokedParameter">For <c>p()</c> where p is a parameter of the body: its ordinal, else -1.</param>
internal sealed record CallTargets(
    IMethodSymbol? InvokedDelegate,
    ISymbol? InvokedMember,
    int InvokedParameter,
    ImmutableArray<DelegateArgument> DelegateArguments,
    ImmutableArray<ForwardedParameter> ForwardedParameters)
{
    /// <summary>The field or property the call's receiver is read from (<c>_tcs.SetResult()</c>: <c>_tcs</c>), whose
    /// registered continuations and callbacks the call may run.</summary>
    public ISymbol? ReceiverMember { get; init; }

    /// <summary>For a delegate invoked from data (a dictionary, an event-args property): its delegate type, to
    /// resolve by the lambdas and methods the compilation converts to it.</summary>
    public INamedTypeSymbol? InvokedByType { get; init; }

    public static readonly CallTargets None = new(null, null, -1, ImmutableArray<DelegateArgument>.Empty, ImmutableArray<ForwardedParameter>.Empty);
}

/// <summary>The objects a call works on, by access path: its receiver, the object the receiver is a member of
/// (a reference count embedded in its owner, as in <c>cfid.Refcount.Put(release)</c>), and each argument by the
/// ordinal of its parameter.</summary>
internal sealed record CallObjects(AccessPath? Receiver, AccessPath? ReceiverOwner, ImmutableArray<AccessPath?> Arguments)
{
    public static readonly CallObjects None = new(null, null, ImmutableArray<AccessPath?>.Empty);

    public AccessPath? Argument(int ordinal) => ordinal >= 0 && ordinal < Arguments.Length ? Arguments[ordinal] : null;
}

/// <summary>How a call is dispatched: virtually or not, and the static type of the object it is called on (after
/// conversions, and through a local assigned once), which bounds the implementations it may run.</summary>
/// <param name="Relation">How the receiver relates to the calling body's object.</param>
internal sealed record Dispatch(bool IsVirtual, ITypeSymbol? ReceiverType, ReceiverRelation Relation)
{
    /// <summary>For <see cref="ReceiverRelation.Owner"/>, the member the receiver is read from; for
    /// <see cref="ReceiverRelation.Owned"/>, the helper's member that refers back to the caller.</summary>
    public ISymbol? Back { get; init; }

    /// <summary>A constructor: a new object, no virtual dispatch.</summary>
    public static readonly Dispatch Creation = new(false, null, ReceiverRelation.Fresh);
}

/// <summary>A call (method, property accessor, constructor) and the locks held around it.</summary>
/// <param name="Blocking">Display name when the catalog or the table says this call may block or sleep.</param>
/// <param name="Dropped">Caller-held lock classes this body has dropped on every path to the call.</param>
internal sealed record CallFact(
    SyntaxNode Syntax,
    IMethodSymbol? Target,
    ImmutableArray<HeldLock> Held,
    string? Blocking,
    CallTargets Targets,
    CallObjects Objects,
    ImmutableHashSet<LockClass> Dropped,
    Dispatch Dispatch);

/// <summary>A read or write of a member the table says a lock protects, and the locks held there.</summary>
internal sealed record AccessFact(ISymbol Member, LockDecl ProtectedBy, bool IsWrite, ImmutableArray<HeldLock> Held, SyntaxNode Syntax);

/// <summary>An await and the locks held across it.</summary>
internal sealed record AwaitFact(SyntaxNode Syntax, ImmutableArray<HeldLock> Held);

/// <summary>Paths that meet holding different locks (at a join, or at the method's exit).</summary>
internal sealed record MergeFact(Location Location, ImmutableArray<HeldLock> OnSomePaths, bool AtExit);

/// <summary>
/// Everything the engine learned about one body (a method, accessor, constructor, lambda or local function).
/// Rules are thin readers of these facts.
/// </summary>
/// <param name="Owner">The method, local function or lambda's symbol.</param>
/// <param name="RootSyntax">The syntax of the body's bound root (a member's body, a lambda), if known. Facts keep
/// syntax and symbols, never operations: they outlive the body's analysis, and an operation keeps its semantic model
/// and with it every bound body of its tree.</param>
/// <param name="Accesses">Reads and writes of members listed in the table's 'protects'.</param>
/// <param name="HeldAtExit">Locks held on every path that reaches the normal exit.</param>
internal sealed record BodyFacts(
    IMethodSymbol Owner,
    SyntaxNode? RootSyntax,
    ImmutableArray<AcquireFact> Acquisitions,
    ImmutableArray<ReleaseFact> Releases,
    ImmutableArray<CallFact> Calls,
    ImmutableArray<AwaitFact> Awaits,
    ImmutableArray<MergeFact> Merges,
    ImmutableArray<HeldLock> HeldAtExit,
    ImmutableArray<AccessFact> Accesses)
{
    /// <summary>Why the engine did not analyse this body to the end (one of its bounds), or null when it did.</summary>
    public string? Incomplete { get; init; }

    /// <summary>For a member's own body: its stores and the objects it creates into locals (with those of its lambdas
    /// and local functions); null for a lambda or a local function.</summary>
    public BodyStores? Stores { get; init; }

    /// <summary>A body the engine did not analyse to the end: no facts, and the bound it hit.</summary>
    public static BodyFacts NotAnalysed(IMethodSymbol owner, IOperation? root, string bound) => new(owner, root?.Syntax,
        ImmutableArray<AcquireFact>.Empty, ImmutableArray<ReleaseFact>.Empty, ImmutableArray<CallFact>.Empty, ImmutableArray<AwaitFact>.Empty,
        ImmutableArray<MergeFact>.Empty, ImmutableArray<HeldLock>.Empty, ImmutableArray<AccessFact>.Empty)
    {
        Incomplete = bound,
    };
}

/// <summary>The facts of a method body and of each lambda and local function inside it.</summary>
internal sealed record MethodFacts(ImmutableArray<BodyFacts> Bodies)
{
    public static readonly MethodFacts None = new(ImmutableArray<BodyFacts>.Empty);
}
