using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using LockOrder.Engine.Knowledge;
using LockOrder.Engine.Model;
using LockOrder.Engine.Queries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LockOrder.Engine.Flow;

/// <summary>
/// Listens to the transfer's replay over the fixpoint states and keeps, per operation, what held on every visit (a
/// body is walked once per finally continuation); then, from the states reaching each node, the merges where paths
/// disagree and the state at the exit. Produces the body's <see cref="BodyFacts"/>.
/// </summary>
internal sealed class FactRecorder : IFlowSink
{
    private readonly BodyContext _body;
    private readonly LockKnowledge _knowledge;
    private readonly Dictionary<IOperation, AcquireFact> _acquisitions = new();
    private readonly Dictionary<IOperation, ReleaseFact> _releases = new();
    private readonly Dictionary<IOperation, CallFact> _calls = new();
    private readonly Dictionary<IOperation, AwaitFact> _awaits = new();
    private readonly Dictionary<IOperation, AccessFact> _accesses = new();
    private readonly List<IFlowAnonymousFunctionOperation> _lambdas = new();

    public FactRecorder(BodyContext body, LockKnowledge knowledge)
    {
        _body = body;
        _knowledge = knowledge;
    }

    /// <summary>The place of a lock (see <see cref="LockPlace"/>): a lock of <c>this.Back</c>, where <c>Back</c> is
    /// fixed at construction from a constructor parameter, is the owner's.</summary>
    [MethodImpl(Jit.Optimized)]
    private LockPlace PlaceOf(AccessPath? instance)
    {
        var place = _body.PlaceOf(instance);
        return place == LockPlace.Other && instance is AccessPath.Member { Instance: AccessPath.This, Symbol: var back }
               && _knowledge.Constructions.ConstructorParameterOf(back, _body.CancellationToken) is not null
            ? LockPlace.Owner
            : place;
    }

    /// <summary>A call's dispatch, with its receiver's relation to this body's object: a call on <c>this.Back</c>
    /// (fixed at construction) runs on the owner; a call on <c>this.Helper</c>, whose objects are all made with
    /// <c>this</c> as their owner, runs on an owned helper.</summary>
    [MethodImpl(Jit.Optimized)]
    private Dispatch DispatchOf(bool isVirtual, ITypeSymbol? receiverType, IOperation? receiver, bool isStatic)
    {
        var relation = _body.RelationOf(receiver, isStatic);
        if (relation == ReceiverRelation.Other && _body.PathOf(receiver) is AccessPath.Member { Instance: AccessPath.This, Symbol: var member })
        {
            if (_knowledge.Constructions.ConstructorParameterOf(member, _body.CancellationToken) is not null)
            {
                return new Dispatch(isVirtual, receiverType, ReceiverRelation.Owner) { Back = member.OriginalDefinition };
            }

            if (_body.Owner.ContainingType is { } owner && _knowledge.Constructions.OwnedBy(member, owner, _body.CancellationToken) is { } back)
            {
                return new Dispatch(isVirtual, receiverType, ReceiverRelation.Owned) { Back = back };
            }
        }

        return new Dispatch(isVirtual, receiverType, relation);
    }

    /// <summary>The lambdas met in the body, in order (each is then analysed as a body of its own).</summary>
    public IReadOnlyList<IFlowAnonymousFunctionOperation> Lambdas => _lambdas;

    public void Lambda(IFlowAnonymousFunctionOperation lambda)
    {
        if (!_lambdas.Contains(lambda))
        {
            _lambdas.Add(lambda);
        }
    }

    [MethodImpl(Jit.Optimized)]
    public void Acquire(LockEvent lockEvent, IOperation operation, LockState before)
        => _acquisitions[operation] = _acquisitions.TryGetValue(operation, out var existing)
            ? existing with { HeldBefore = LockDomain.Intersect(existing.HeldBefore, before.Held), Dropped = existing.Dropped.Intersect(before.Dropped) }
            : new AcquireFact(lockEvent, before.Held, operation.Syntax, before.Dropped, PlaceOf(lockEvent.Lock.Instance))
            {
                OrderedAfter = before.Held.IsEmpty || lockEvent.Lock.Instance is null ? ImmutableArray<AccessPath>.Empty
                    : before.Held.Select(h => h.Instance).Where(i => i is not null && _body.IsOrderedPair(i, lockEvent.Lock.Instance)).Select(i => i!).ToImmutableArray(),
            };

    [MethodImpl(Jit.Optimized)]
    public void Release(LockEvent lockEvent, IOperation operation, bool wasHeld)
        => _releases[operation] = new ReleaseFact(lockEvent, wasHeld && (!_releases.TryGetValue(operation, out var existing) || existing.WasHeld), operation.Syntax);

    [MethodImpl(Jit.Optimized)]
    public void Call(IOperation operation, LockState state)
    {
        // A call seen again (a finally walked under another continuation) keeps what held on every visit; what
        // it calls and on what was read the first time.
        if (_calls.TryGetValue(operation, out var existing))
        {
            _calls[operation] = existing with { Held = LockDomain.Intersect(existing.Held, state.Held), Dropped = existing.Dropped.Intersect(state.Dropped) };
            return;
        }

        switch (operation)
        {
            case IInvocationOperation invocation:
                Add(invocation, invocation.TargetMethod, state, _knowledge.Catalog.Blocking(invocation), _body.TargetsOf(invocation), _body.ObjectsOf(invocation),
                    DispatchOf(invocation.IsVirtual, invocation.Instance is { } receiver ? _body.UnwrapValue(receiver).Type : null, invocation.Instance,
                        // A local function has no receiver and runs on this body's object, like a static call's places.
                        invocation.TargetMethod.IsStatic || invocation.TargetMethod.MethodKind == MethodKind.LocalFunction));
                break;
            case IPropertyReferenceOperation property:
                var blocking = _knowledge.Catalog.Blocking(property);
                var accessor = property.Parent is ISimpleAssignmentOperation assignment && assignment.Target == property ? property.Property.SetMethod : property.Property.GetMethod;
                if (blocking is not null || accessor is { DeclaringSyntaxReferences.Length: > 0 })
                {
                    Add(property, accessor, state, blocking, CallTargets.None, new CallObjects(_body.PathOf(property.Instance), null, ImmutableArray<AccessPath?>.Empty),
                        property.Instance is { } instance
                            ? DispatchOf(!IsBase(instance), _body.UnwrapValue(instance).Type, instance, isStatic: false)
                            : SameObject);
                }

                break;
            case IObjectCreationOperation { Constructor: { DeclaringSyntaxReferences.Length: > 0 } constructor } creation:
                Add(creation, constructor, state, null, CallTargets.None, CallObjects.None, Dispatch.Creation);
                break;
            default:
                // A user-defined operator or conversion is a static call of its method.
                if (OperatorMethod(operation) is { DeclaringSyntaxReferences.Length: > 0 } method)
                {
                    Add(operation, method, state, null, CallTargets.None, CallObjects.None, SameObject);
                }

                break;
        }
    }

    /// <summary>A call on this body's own object, not virtual (facts are read, never changed: one is shared).</summary>
    private static readonly Dispatch SameObject = new(false, null, ReceiverRelation.Same);

    /// <summary>An await, and the locks held across it, except those of a <c>lock</c> statement around it: awaiting
    /// in a lock statement's body does not compile (CS1996), and the compiler already says so.</summary>
    public void Await(IAwaitOperation operation, LockState state)
    {
        var held = state.Held.RemoveAll(h => EnclosingLockStatement(h) is { } statement && statement.Statement.Span.Contains(operation.Syntax.Span));
        _awaits[operation] = _awaits.TryGetValue(operation, out var existing)
            ? existing with { Held = LockDomain.Intersect(existing.Held, held) }
            : new AwaitFact(operation.Syntax, held);
    }

    private static Microsoft.CodeAnalysis.CSharp.Syntax.LockStatementSyntax? EnclosingLockStatement(HeldLock held)
        => held.Scope as Microsoft.CodeAnalysis.CSharp.Syntax.LockStatementSyntax
           ?? held.Site.Parent as Microsoft.CodeAnalysis.CSharp.Syntax.LockStatementSyntax;

    [MethodImpl(Jit.Optimized)]
    public void Access(IOperation operation, ISymbol member, LockState state)
    {
        if (_knowledge.ProtectorOf(member) is not { } decl)
        {
            return;
        }

        bool isWrite = operation.Parent is IAssignmentOperation assignment && assignment.Target == operation
            || operation.Parent is IIncrementOrDecrementOperation
            || operation.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out };
        _accesses[operation] = _accesses.TryGetValue(operation, out var existing)
            ? existing with { Held = LockDomain.Intersect(existing.Held, state.Held) }
            : new AccessFact(member, decl, isWrite, state.Held, operation.Syntax);
    }

    private void Add(IOperation operation, IMethodSymbol? target, LockState state, string? blocking, CallTargets targets, CallObjects objects, Dispatch dispatch)
        => _calls[operation] = new CallFact(operation.Syntax, target, state.Held, blocking, targets, objects, state.Dropped, dispatch);

    private static IMethodSymbol? OperatorMethod(IOperation operation) => operation switch
    {
        IBinaryOperation b => b.OperatorMethod,
        IUnaryOperation u => u.OperatorMethod,
        IIncrementOrDecrementOperation i => i.OperatorMethod,
        ICompoundAssignmentOperation c => c.OperatorMethod,
        IConversionOperation c => c.OperatorMethod,
        _ => null,
    };

    /// <summary><c>base.M()</c>: not a virtual dispatch.</summary>
    private static bool IsBase(IOperation receiver)
        => receiver is IInstanceReferenceOperation { Syntax: Microsoft.CodeAnalysis.CSharp.Syntax.BaseExpressionSyntax };

    /// <summary>The body's facts, given what reached each node in the replay.</summary>
    /// <param name="exceptional">Nodes on an exception's way to its handler: no merge is reported there.</param>
    [MethodImpl(Jit.Optimized)]
    public BodyFacts Build(ControlFlowGraph cfg, IMethodSymbol owner, IOperation? root, Dictionary<FlowNode, List<LockState>> incoming, System.Func<FlowNode, bool> exceptional)
    {
        // In block order (a node's continuations in the order they were met), as the rules report them; most
        // nodes have one incoming state and give nothing, so the order is made only for the few that may.
        List<KeyValuePair<FlowNode, List<LockState>>>? candidates = null;
        foreach (var pair in incoming)
        {
            if (pair.Value.Count >= 2 || cfg.Blocks[pair.Key.Block].Kind == BasicBlockKind.Exit)
            {
                (candidates ??= new()).Add(pair);
            }
        }

        var merges = ImmutableArray.CreateBuilder<MergeFact>();
        var exitStates = new List<LockState>();
        foreach (var pair in candidates is null ? Enumerable.Empty<KeyValuePair<FlowNode, List<LockState>>>() : candidates.OrderBy(p => p.Key.Block))
        {
            if (exceptional(pair.Key))
            {
                continue;
            }

            var block = cfg.Blocks[pair.Key.Block];
            if (block.Kind == BasicBlockKind.Exit)
            {
                exitStates.AddRange(pair.Value);
                continue;
            }

            if (pair.Value.Count < 2)
            {
                continue;
            }

            var disagreement = LockDomain.Disagreement(pair.Value, atExit: false);
            if (disagreement.Count > 0)
            {
                var first = block.Operations.FirstOrDefault() ?? block.BranchValue;
                merges.Add(new MergeFact(first is not null ? OperationLocations.Of(first) : OperationLocations.OfOwner(owner, root?.Syntax), disagreement.ToImmutableArray(), AtExit: false));
            }
        }

        var heldAtExit = ImmutableArray<HeldLock>.Empty;
        if (exitStates.Count > 0)
        {
            heldAtExit = exitStates.Aggregate(LockDomain.Meet).Held;
            var disagreement = LockDomain.Disagreement(exitStates, atExit: true);
            if (disagreement.Count > 0)
            {
                merges.Add(new MergeFact(OperationLocations.OfOwner(owner, root?.Syntax), disagreement.ToImmutableArray(), AtExit: true));
            }
        }

        return new BodyFacts(
            owner,
            root?.Syntax,
            Ordered(_acquisitions.Values, f => f.Syntax),
            Ordered(_releases.Values, f => f.Syntax),
            Ordered(_calls.Values, f => f.Syntax),
            Ordered(_awaits.Values, f => f.Syntax),
            merges.ToImmutable(),
            heldAtExit,
            Ordered(_accesses.Values, f => f.Syntax));
    }

    /// <summary>The facts by their place in the text; facts at the same place (<c>a.B().C()</c>'s two calls) in the
    /// order they were recorded.</summary>
    private static ImmutableArray<T> Ordered<T>(Dictionary<IOperation, T>.ValueCollection facts, System.Func<T, SyntaxNode> syntax)
    {
        switch (facts.Count)
        {
            case 0:
                return ImmutableArray<T>.Empty;
            case 1:
                return ImmutableArray.CreateRange(facts);
        }

        var array = new T[facts.Count];
        facts.CopyTo(array, 0);
        var keys = new long[array.Length];
        for (int i = 0; i < array.Length; i++)
        {
            keys[i] = ((long)syntax(array[i]).SpanStart << 32) | (uint)i;
        }

        System.Array.Sort(keys, array);
        return ImmutableArray.Create(array);
    }
}
