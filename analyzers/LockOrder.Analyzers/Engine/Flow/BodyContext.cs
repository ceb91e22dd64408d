using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using LockOrder.Engine.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LockOrder.Engine.Flow;

/// <summary>
/// Per-body value facts the lock engine needs to name objects: what each flow capture holds and what each local
/// assigned exactly once holds; and from them, the <see cref="AccessPath"/> of an expression.
/// </summary>
internal sealed class BodyContext
{
    private readonly Dictionary<CaptureId, IOperation> _captures = new();
    private readonly Dictionary<ILocalSymbol, IOperation?> _singleAssignments = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ILocalSymbol> _escaping = new(SymbolEqualityComparer.Default);
    private readonly HashSet<(ILocalSymbol First, ILocalSymbol Second)> _orderedPairs = new();

    private readonly List<IInvocationOperation> _invocations = new();
    private bool _hasLambda;

    private readonly HashSet<ILocalSymbol> _writtenOtherwise = new(SymbolEqualityComparer.Default);
    private readonly HashSet<IParameterSymbol> _flagsWritten = new(SymbolEqualityComparer.Default);
    private readonly System.Func<IInvocationOperation, bool> _isLockOperation;

    /// <param name="isLockOperation">Whether an invocation is a lock API's (whose <c>ref bool lockTaken</c> the
    /// engine models as the API documents it).</param>
    public BodyContext(ControlFlowGraph cfg, ISymbol owner, System.Threading.CancellationToken cancellationToken, System.Func<IInvocationOperation, bool>? isLockOperation = null)
    {
        Owner = owner;
        CancellationToken = cancellationToken;
        _isLockOperation = isLockOperation ?? (_ => false);
        foreach (var block in cfg.Blocks)
        {
            foreach (var statement in block.Operations)
            {
                Collect(statement);
            }

            if (block.BranchValue is not null)
            {
                Collect(block.BranchValue);
            }
        }

        // Locals a lambda or local function inside writes: their value can change at any call. The graph shows
        // every lambda of the body (as a flow anonymous function) and lists its local functions, so a body with
        // neither is not walked again.
        if (!_hasLambda && cfg.LocalFunctions.IsEmpty)
        {
            return;
        }

        foreach (var nested in cfg.OriginalOperation.Descendants().Where(o => o is IAnonymousFunctionOperation or ILocalFunctionOperation))
        {
            foreach (var op in nested.Descendants())
            {
                foreach (var local in WrittenLocals(op))
                {
                    _writtenOtherwise.Add(local);
                }
            }
        }
    }

    /// <summary>
    /// A local written other than by one plain assignment in this body's flow: by a <c>ref</c> or <c>out</c>
    /// argument (except a lock API's taken flag), a compound assignment, an increment, a deconstruction, or inside a
    /// lambda or local function. What a plain assignment told about it (its one value, a guard) does not hold.
    /// </summary>
    public bool IsWrittenOtherwise(ILocalSymbol local) => _writtenOtherwise.Contains(local);

    /// <summary>The locals an operation writes other than by a plain assignment.</summary>
    private IEnumerable<ILocalSymbol> WrittenLocals(IOperation op)
    {
        IOperation? target = op switch
        {
            ISimpleAssignmentOperation assignment => assignment.Target,
            ICompoundAssignmentOperation compound => compound.Target,
            ICoalesceAssignmentOperation coalesce => coalesce.Target,
            IIncrementOrDecrementOperation increment => increment.Target,
            IDeconstructionAssignmentOperation deconstruction => deconstruction.Target,
            IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument when !(argument.Parent is IInvocationOperation call && _isLockOperation(call)) => argument.Value,
            _ => null,
        };
        return target is null ? Enumerable.Empty<ILocalSymbol>() : target.DescendantsAndSelf().OfType<ILocalReferenceOperation>().Select(l => l.Local);
    }

    /// <summary>
    /// The body's <c>ref bool</c> parameters that it only reads, or sets to false: its callers' taken flags, true where
    /// the caller holds the lock it took with one (<c>ReleaseLock(ref bool taken) { if (taken) { Monitor.Exit(o);
    /// taken = false; } }</c>). A flag the body passes on by reference, or sets to anything but false, is not one.
    /// </summary>
    public ImmutableArray<IParameterSymbol> CallerFlags
        => Owner is IMethodSymbol method
            ? method.Parameters.Where(p => p is { RefKind: RefKind.Ref, Type.SpecialType: SpecialType.System_Boolean } && !_flagsWritten.Contains(p)).ToImmutableArray()
            : ImmutableArray<IParameterSymbol>.Empty;

    /// <summary>Whether a use of a <c>ref bool</c> parameter may write it other than with <c>false</c>, or let
    /// something else write it (a <c>ref</c> or <c>out</c> argument, a <c>ref</c> local or return).</summary>
    private static bool WritesFlag(IParameterReferenceOperation reference) => reference.Parent switch
    {
        ISimpleAssignmentOperation { IsRef: true } => true,
        ISimpleAssignmentOperation assignment when assignment.Target == reference => assignment.Value.ConstantValue is not { HasValue: true, Value: false },
        ICompoundAssignmentOperation or ICoalesceAssignmentOperation or IIncrementOrDecrementOperation or IDeconstructionAssignmentOperation or ITupleOperation => true,
        IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } => true,
        IReturnOperation => true,
        _ => false,
    };

    public ISymbol Owner { get; }

    public System.Threading.CancellationToken CancellationToken { get; }

    /// <summary>Every invocation in the body (not in its lambdas), in graph order.</summary>
    public IReadOnlyList<IInvocationOperation> Invocations => _invocations;

    /// <summary>Semaphore lock classes this body both waits on and releases (see <see cref="LockOperations"/>).</summary>
    internal HashSet<LockClass>? BracketedSemaphores { get; set; }

    [MethodImpl(Jit.Optimized)]
    private void Collect(IOperation root)
    {
        foreach (var op in root.DescendantsAndSelf())
        {
            switch (op)
            {
                case IFlowCaptureOperation capture when !_captures.ContainsKey(capture.Id):
                    _captures.Add(capture.Id, capture.Value);
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment:
                    // A second assignment makes the local's value unknown.
                    _singleAssignments[local.Local] = _singleAssignments.ContainsKey(local.Local) ? null : assignment.Value;
                    break;
                case ICompoundAssignmentOperation or ICoalesceAssignmentOperation or IIncrementOrDecrementOperation or IArgumentOperation:
                    foreach (var local in WrittenLocals(op))
                    {
                        _writtenOtherwise.Add(local);
                    }

                    break;
                case ILocalReferenceOperation reference when !IsReceiverUse(reference):
                    _escaping.Add(reference.Local);
                    break;
                case IInvocationOperation invocation:
                    _invocations.Add(invocation);
                    break;
                case IParameterReferenceOperation { Parameter: { RefKind: RefKind.Ref, Type.SpecialType: SpecialType.System_Boolean } flag } reference when WritesFlag(reference):
                    _flagsWritten.Add(flag);
                    break;
                case IFlowAnonymousFunctionOperation:
                    _hasLambda = true;
                    break;
                case IDeconstructionAssignmentOperation deconstruction:
                    if (OrderedPair(deconstruction) is { } pair)
                    {
                        _orderedPairs.Add(pair);
                    }

                    foreach (var local in WrittenLocals(deconstruction))
                    {
                        _writtenOtherwise.Add(local);
                    }

                    break;
            }
        }
    }

    /// <summary>Strips conversions and flow captures, and follows locals assigned once from a field or 'this'.</summary>
    public IOperation Unwrap(IOperation operation) => Follow(operation, IsStableLockSource);

    /// <summary>Strips conversions and flow captures and follows any local assigned once.</summary>
    public IOperation UnwrapValue(IOperation operation) => Follow(operation, _ => true);

    /// <summary>The objects an invocation works on (see <see cref="CallObjects"/>).</summary>
    [MethodImpl(Jit.Optimized)]
    public CallObjects ObjectsOf(IInvocationOperation invocation)
    {
        var receiver = invocation.Instance is null ? null : Follow(invocation.Instance, followLocal: null);
        var owner = receiver switch
        {
            IFieldReferenceOperation { Field.IsStatic: false } f => PathOf(f.Instance),
            IPropertyReferenceOperation { Property.IsStatic: false } p => PathOf(p.Instance),
            _ => null,
        };
        return new CallObjects(PathOf(receiver), owner, ArgumentPaths(invocation.Arguments));
    }

    /// <summary>The arguments' paths by parameter ordinal (an argument without a parameter last). Every call is
    /// recorded, so the usual case, arguments already in parameter order, is read without sorting.</summary>
    [MethodImpl(Jit.Optimized)]
    private ImmutableArray<AccessPath?> ArgumentPaths(ImmutableArray<IArgumentOperation> arguments)
    {
        if (arguments.IsEmpty)
        {
            return ImmutableArray<AccessPath?>.Empty;
        }

        bool ordered = true;
        for (int i = 1; i < arguments.Length && ordered; i++)
        {
            ordered = (arguments[i - 1].Parameter?.Ordinal ?? int.MaxValue) <= (arguments[i].Parameter?.Ordinal ?? int.MaxValue);
        }

        if (!ordered)
        {
            return arguments.OrderBy(a => a.Parameter?.Ordinal ?? int.MaxValue).Select(a => PathOf(a.Value)).ToImmutableArray();
        }

        var paths = ImmutableArray.CreateBuilder<AccessPath?>(arguments.Length);
        foreach (var argument in arguments)
        {
            paths.Add(PathOf(argument.Value));
        }

        return paths.MoveToImmutable();
    }

    /// <summary>What a call may invoke through delegates (see <see cref="CallTargets"/>).</summary>
    [MethodImpl(Jit.Optimized)]
    public CallTargets TargetsOf(IInvocationOperation invocation)
    {
        IMethodSymbol? invoked = null;
        int invokedParameter = -1;
        ISymbol? invokedMember = null;
        if (invocation.TargetMethod.MethodKind == MethodKind.DelegateInvoke && invocation.Instance is not null)
        {
            var receiver = UnwrapValue(invocation.Instance);
            invoked = DelegateTarget(receiver);
            invokedParameter = OwnParameter(receiver);
            invokedMember = receiver switch
            {
                IFieldReferenceOperation { Field.AssociatedSymbol: IEventSymbol e } => e.OriginalDefinition,
                IFieldReferenceOperation f => f.Field.OriginalDefinition,
                IPropertyReferenceOperation p => p.Property.OriginalDefinition,
                IEventReferenceOperation e => e.Event.OriginalDefinition,
                _ => null,
            };
        }

        // Made only for a call that passes a delegate (every call is recorded; most pass none).
        ImmutableArray<DelegateArgument>.Builder? arguments = null;
        ImmutableArray<ForwardedParameter>.Builder? forwarded = null;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is null || argument.Parameter.Type.TypeKind != TypeKind.Delegate)
            {
                continue;
            }

            var value = UnwrapValue(argument.Value);
            if (DelegateTarget(value) is { } target)
            {
                (arguments ??= ImmutableArray.CreateBuilder<DelegateArgument>()).Add(new DelegateArgument(argument.Parameter.Ordinal, target, argument.Value.Syntax));
            }
            else if (OwnParameter(value) is int own and >= 0)
            {
                (forwarded ??= ImmutableArray.CreateBuilder<ForwardedParameter>()).Add(new ForwardedParameter(argument.Parameter.Ordinal, own));
            }
        }

        var receiverMember = invocation.TargetMethod.MethodKind != MethodKind.DelegateInvoke && invocation.Instance is { } instance
            ? UnwrapValue(instance) switch
            {
                IFieldReferenceOperation f => f.Field.OriginalDefinition,
                IPropertyReferenceOperation p => (ISymbol)p.Property.OriginalDefinition,
                _ => null,
            }
            : null;
        var byType = invocation.TargetMethod.MethodKind == MethodKind.DelegateInvoke && invoked is null && invokedParameter < 0 && invokedMember is null
            ? invocation.TargetMethod.ContainingType
            : null;
        return invoked is null && invokedParameter < 0 && invokedMember is null && arguments is null && forwarded is null && receiverMember is null && byType is null
            ? CallTargets.None
            : new CallTargets(invoked, invokedMember, invokedParameter,
                arguments?.ToImmutable() ?? ImmutableArray<DelegateArgument>.Empty, forwarded?.ToImmutable() ?? ImmutableArray<ForwardedParameter>.Empty)
            {
                ReceiverMember = receiverMember,
                InvokedByType = byType,
            };
    }

    private static IMethodSymbol? DelegateTarget(IOperation value) => value switch
    {
        IDelegateCreationOperation { Target: IMethodReferenceOperation method } => method.Method,
        IDelegateCreationOperation { Target: IFlowAnonymousFunctionOperation lambda } => lambda.Symbol,
        IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } => lambda.Symbol,
        IMethodReferenceOperation method => method.Method,
        _ => null,
    };

    private int OwnParameter(IOperation value)
        => value is IParameterReferenceOperation p && SymbolEqualityComparer.Default.Equals(p.Parameter.ContainingSymbol, Owner) ? p.Parameter.Ordinal : -1;

    /// <summary>
    /// The one unwrapping loop: strips conversions and flow captures, and follows a local assigned exactly once
    /// when <paramref name="followLocal"/> accepts the value it was assigned. Bounded, for safety.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    private IOperation Follow(IOperation operation, System.Func<IOperation, bool>? followLocal)
    {
        var op = operation;
        for (int depth = 0; depth < 16; depth++)
        {
            switch (op)
            {
                case IConversionOperation conversion:
                    op = conversion.Operand;
                    continue;
                case IFlowCaptureReferenceOperation reference when _captures.TryGetValue(reference.Id, out var captured):
                    op = captured;
                    continue;
                case ILocalReferenceOperation local when followLocal is not null && AssignedOnce(local.Local) is { } value && followLocal(value):
                    op = value;
                    continue;
            }

            break;
        }

        return op;
    }

    /// <summary>
    /// A local assigned once, from an object created in this body, and since only used to call or read members of
    /// it: an object no other thread can have (the simplest ownership; any other use counts as publishing it).
    /// </summary>
    public bool IsFresh(ILocalSymbol local)
        => !_escaping.Contains(local) && AssignedOnce(local) is { } value && Follow(value, followLocal: null) is IObjectCreationOperation;

    /// <summary>
    /// Two locals that always name two objects in one order fixed by a key: <c>var (first, second) = a.Id &lt; b.Id ?
    /// (a, b) : (b, a)</c>. Locking <paramref name="first"/> then <paramref name="second"/> is the textbook way to
    /// lock two instances of one class without deadlock.
    /// </summary>
    public bool IsOrderedPair(AccessPath? first, AccessPath? second)
        => first is AccessPath.Local x && second is AccessPath.Local y && _orderedPairs.Contains((x.Symbol, y.Symbol));

    /// <summary>(x, y) = c ? (p, q) : (q, p): the two locals it assigns, in order.</summary>
    private static (ILocalSymbol, ILocalSymbol)? OrderedPair(IDeconstructionAssignmentOperation deconstruction)
    {
        if (deconstruction.Syntax is not Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax { Right: var right })
        {
            return null;
        }

        while (right is Microsoft.CodeAnalysis.CSharp.Syntax.ParenthesizedExpressionSyntax parenthesized)
        {
            right = parenthesized.Expression;
        }

        if (right is not Microsoft.CodeAnalysis.CSharp.Syntax.ConditionalExpressionSyntax
            {
                WhenTrue: Microsoft.CodeAnalysis.CSharp.Syntax.TupleExpressionSyntax { Arguments.Count: 2 } whenTrue,
                WhenFalse: Microsoft.CodeAnalysis.CSharp.Syntax.TupleExpressionSyntax { Arguments.Count: 2 } whenFalse,
            }
            || !Microsoft.CodeAnalysis.CSharp.SyntaxFactory.AreEquivalent(whenTrue.Arguments[0].Expression, whenFalse.Arguments[1].Expression)
            || !Microsoft.CodeAnalysis.CSharp.SyntaxFactory.AreEquivalent(whenTrue.Arguments[1].Expression, whenFalse.Arguments[0].Expression))
        {
            return null;
        }

        var locals = deconstruction.Target.DescendantsAndSelf().OfType<ILocalReferenceOperation>().Select(l => l.Local).ToList();
        return locals.Count == 2 ? (locals[0], locals[1]) : null;
    }

    /// <summary>The place of a lock from its instance (see <see cref="LockPlace"/>).</summary>
    [MethodImpl(Jit.Optimized)]
    public LockPlace PlaceOf(AccessPath? instance)
        => Places.Of(instance, Owner.ContainingType, instance is AccessPath.Local local && IsFresh(local.Symbol));

    /// <summary>How a call's receiver relates to this body's object (see <see cref="ReceiverRelation"/>).</summary>
    [MethodImpl(Jit.Optimized)]
    public ReceiverRelation RelationOf(IOperation? receiver, bool isStatic)
    {
        var path = PathOf(receiver);
        return Places.RelationOf(path, isStatic, Owner.ContainingType, path is AccessPath.Local local && IsFresh(local.Symbol));
    }

    /// <summary>The local is the receiver of a member access or call, or the one assignment that sets it.</summary>
    private static bool IsReceiverUse(ILocalReferenceOperation reference)
    {
        IOperation node = reference;
        while (node.Parent is IConversionOperation or IFlowCaptureOperation)
        {
            node = node.Parent;
        }

        return node.Parent switch
        {
            ISimpleAssignmentOperation assignment => assignment.Target == node,
            IInvocationOperation invocation => invocation.Instance == node,
            IMemberReferenceOperation member => member.Instance == node,
            IIsNullOperation or IIsPatternOperation => true,
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } => true,
            _ => false,
        };
    }

    /// <summary>The <c>Lock.EnterScope()</c> call a <c>Lock.Scope</c> value came from, if known.</summary>
    public IInvocationOperation? ScopeOwner(IOperation scope)
        => UnwrapValue(scope) is IInvocationOperation { TargetMethod.Name: "EnterScope" } invocation ? invocation : null;

    /// <summary>The access path naming the object an expression denotes, or null when it has none.</summary>
    [MethodImpl(Jit.Optimized)]
    public AccessPath? PathOf(IOperation? operation)
    {
        if (operation is null)
        {
            return null;
        }

        switch (Follow(operation, followLocal: null))
        {
            case IInstanceReferenceOperation:
                return AccessPath.This.Instance;
            case IParameterReferenceOperation p:
                return new AccessPath.Parameter(p.Parameter);
            case ILocalReferenceOperation l:
                if (AssignedOnce(l.Local) is { } value && !(value is ILocalReferenceOperation) && PathOf(value) is { } valuePath)
                {
                    return valuePath;
                }

                return new AccessPath.Local(l.Local);
            case IFieldReferenceOperation f:
                return f.Field.IsStatic ? new AccessPath.Static(f.Field) : PathOf(f.Instance)?.Dot(f.Field);
            case IPropertyReferenceOperation pr when pr.Property.Name != "Current":
                return pr.Property.IsStatic ? new AccessPath.Static(pr.Property) : PathOf(pr.Instance)?.Dot(pr.Property);
            default:
                return null;
        }
    }

    private IOperation? AssignedOnce(ILocalSymbol local)
        => !_writtenOtherwise.Contains(local) && _singleAssignments.TryGetValue(local, out var value) ? value : null;

    private static bool IsStableLockSource(IOperation value)
    {
        var v = value;
        while (v is IConversionOperation c)
        {
            v = c.Operand;
        }

        return v is IFieldReferenceOperation or IInstanceReferenceOperation
            || v is IPropertyReferenceOperation p && p.Property.Name != "Current";
    }
}
