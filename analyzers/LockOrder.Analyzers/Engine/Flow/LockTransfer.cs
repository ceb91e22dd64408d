using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using LockOrder.Engine.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LockOrder.Engine.Flow;

/// <summary>What the transfer observes as it walks a body; the fact recorder listens, the fixpoint pass does not.</summary>
internal interface IFlowSink
{
    void Lambda(IFlowAnonymousFunctionOperation lambda);

    void Acquire(LockEvent lockEvent, IOperation operation, LockState before);

    /// <summary>A release, and whether the lock was held on the path that reached it.</summary>
    void Release(LockEvent lockEvent, IOperation operation, bool wasHeld);

    /// <summary>A call that is not a lock operation: an invocation, a property access, an object creation.</summary>
    void Call(IOperation operation, LockState state);

    void Await(IAwaitOperation operation, LockState state);

    /// <summary>A read or write of a field or property.</summary>
    void Access(IOperation operation, ISymbol member, LockState state);
}

/// <summary>A sink that ignores everything (the fixpoint pass).</summary>
internal sealed class NullFlowSink : IFlowSink
{
    public static readonly NullFlowSink Instance = new();

    public void Lambda(IFlowAnonymousFunctionOperation lambda)
    {
    }

    public void Acquire(LockEvent lockEvent, IOperation operation, LockState before)
    {
    }

    public void Release(LockEvent lockEvent, IOperation operation, bool wasHeld)
    {
    }

    public void Call(IOperation operation, LockState state)
    {
    }

    public void Await(IAwaitOperation operation, LockState state)
    {
    }

    public void Access(IOperation operation, ISymbol member, LockState state)
    {
    }
}

/// <summary>
/// The transfer functions of the lock-state dataflow over <see cref="LockState"/>: what each operation does to the
/// held locks, the guards and the dropped classes; and how a branch on a guard refines the state. The state is all
/// it computes; what it sees on the way goes to its <see cref="IFlowSink"/>.
/// </summary>
internal sealed class LockTransfer : IBlockTransfer<LockState>
{
    private readonly BodyContext _body;
    private readonly LockOperations _locks;
    private readonly IFlowSink _sink;

    public LockTransfer(BodyContext body, LockOperations locks, IFlowSink sink)
    {
        _body = body;
        _locks = locks;
        _sink = sink;
    }

    public LockState Meet(LockState a, LockState b) => LockDomain.Meet(a, b);

    public bool Equal(LockState a, LockState b) => LockDomain.Equal(a, b);

    [MethodImpl(Jit.Optimized)]
    public LockState AnalyzeBlock(BasicBlock block, LockState input, List<LockState>? throwPoints)
    {
        var state = input;
        foreach (var op in block.Operations)
        {
            state = LeaveScopes(state, op.Syntax, null);
            if (throwPoints is not null && MayThrow(op))
            {
                throwPoints.Add(state);
            }

            state = Visit(op, state);
        }

        if (block.BranchValue is null)
        {
            return state;
        }

        state = LeaveScopes(state, block.BranchValue.Syntax, null);
        if (throwPoints is not null && MayThrow(block.BranchValue))
        {
            throwPoints.Add(state);
        }

        state = Visit(block.BranchValue, state);
        return block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return && block.BranchValue.ConstantValue is { HasValue: true, Value: bool returned }
            ? state with { Returned = returned }
            : state;
    }

    /// <summary>Whether an exception may start in this operation: a call, an allocation, a property, an await, a
    /// throw. A lock release is not counted: it gives the lock up before it could throw.</summary>
    [MethodImpl(Jit.Optimized)]
    private bool MayThrow(IOperation operation)
    {
        // Recursive over the children: as in Visit, a body nested too deep is given up (LOCK011), not a stack overflow.
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (operation)
        {
            case IInvocationOperation invocation when _locks.Recognize(invocation, _body) is { Kind: LockEventKind.Release }:
                break; // Its arguments may still throw.
            case IInvocationOperation or IObjectCreationOperation or IPropertyReferenceOperation or IAwaitOperation or IThrowOperation
                or IDynamicInvocationOperation or IDynamicMemberReferenceOperation:
                return true;
        }

        // By the children, not an enumeration of the descendants: this asks about every operation of every block
        // inside a try region (a lock statement's body is one), and the enumeration allocated each time.
        foreach (var child in operation.ChildOperations)
        {
            if (MayThrow(child))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Refines the state by a branch on a guard: "true and held" makes the false branch infeasible (that is what
    /// <c>Enter(o, ref taken)</c> guarantees on return); "false" makes the true branch infeasible; "held iff true"
    /// adds the lock on the true branch and learns the boolean is false on the other.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    public LockState? AnalyzeBranch(LockState state, IOperation branchValue, bool outcome)
    {
        var op = branchValue;
        while (true)
        {
            if (op is IConversionOperation conversion)
            {
                op = conversion.Operand;
            }
            else if (op is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
            {
                op = not.Operand;
                outcome = !outcome;
            }
            else
            {
                break;
            }
        }

        // A null check of a reference local is a branch on "not null".
        bool reference = false;
        if (NullCheckedLocal(op) is var (checkedLocal, nonNullWhenTrue))
        {
            op = checkedLocal;
            outcome = outcome == nonNullWhenTrue;
            reference = true;
        }

        object key = op switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            _ => op,
        };
        if (!state.Guards.TryGetValue(key, out var guard) || guard.Reference != reference)
        {
            return state;
        }

        switch (guard.Kind)
        {
            case GuardKind.TrueAndHeld or GuardKind.CallerHolds:
                return outcome ? state : null;
            case GuardKind.False:
                return outcome ? null : state;
            case GuardKind.CallerFlag:
                return state with { Guards = state.Guards.SetItem(key, outcome ? Guard.CallerHolds : Guard.False) };
        }

        bool named = key is ILocalSymbol;
        if (!outcome)
        {
            return state with { Guards = named ? state.Guards.SetItem(key, reference ? Guard.Null : Guard.False) : state.Guards.Remove(key) };
        }

        var held = state.IndexOfExact(guard.Lock!) < 0 ? state.Held.Add(guard.Lock!) : state.Held;
        return state with { Held = held, Guards = named ? state.Guards.SetItem(key, guard with { Kind = GuardKind.TrueAndHeld }) : state.Guards.Remove(key) };
    }

    /// <summary><c>x != null</c>, <c>x == null</c>, <c>x is null</c>, <c>x is not null</c>, <c>x is { }</c> (either way
    /// round) on a local: the local, and whether the condition is true when it is not null.</summary>
    private static (ILocalReferenceOperation Local, bool NonNullWhenTrue)? NullCheckedLocal(IOperation op)
    {
        switch (op)
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals, OperatorMethod: null } binary:
                bool notEquals = binary.OperatorKind == BinaryOperatorKind.NotEquals;
                if (Strip(binary.LeftOperand) is ILocalReferenceOperation left && IsNull(binary.RightOperand))
                {
                    return (left, notEquals);
                }

                if (Strip(binary.RightOperand) is ILocalReferenceOperation right && IsNull(binary.LeftOperand))
                {
                    return (right, notEquals);
                }

                return null;
            case IIsPatternOperation { Pattern: IConstantPatternOperation constant } pattern when Strip(pattern.Value) is ILocalReferenceOperation value && IsNull(constant.Value):
                return (value, false);
            case IIsPatternOperation { Pattern: INegatedPatternOperation { Pattern: IConstantPatternOperation constant } } pattern when Strip(pattern.Value) is ILocalReferenceOperation value && IsNull(constant.Value):
                return (value, true);
            case IIsPatternOperation { Pattern: IRecursivePatternOperation { DeconstructionSubpatterns.Length: 0, PropertySubpatterns.Length: 0, DeclaredSymbol: null } } pattern
                when Strip(pattern.Value) is ILocalReferenceOperation value && SymbolEqualityComparer.Default.Equals(((IRecursivePatternOperation)pattern.Pattern).MatchedType, value.Type):
                // x is { }
                return (value, true);
            default:
                return null;
        }
    }

    private static bool IsNull(IOperation op) => Strip(op) is { ConstantValue: { HasValue: true, Value: null } };

    /// <summary>Along an edge to <paramref name="destination"/>: a try-lock's result not stored by the end of its
    /// block is lost; a lock statement left unlowered releases its lock when the edge leaves the statement.</summary>
    [MethodImpl(Jit.Optimized)]
    public LockState OnEdge(LockState state, BasicBlock destination)
    {
        if (!state.Guards.IsEmpty)
        {
            // Most guards are locals (lockTaken): look for a try-lock's before making a list.
            List<object>? tried = null;
            foreach (var guard in state.Guards)
            {
                if (guard.Key is IOperation)
                {
                    (tried ??= new List<object>()).Add(guard.Key);
                }
            }

            if (tried is not null)
            {
                state = state with { Guards = state.Guards.RemoveRange(tried) };
            }
        }

        return LeaveScopes(state, null, destination);
    }

    /// <summary>Releases the locks of unlowered lock statements that control is no longer inside: at an operation's
    /// syntax, or (<paramref name="at"/> null) in the block an edge goes to. Runs for every operation, so it takes no
    /// delegate and allocates nothing when no such lock is held.</summary>
    [MethodImpl(Jit.Optimized)]
    private static LockState LeaveScopes(LockState state, SyntaxNode? at, BasicBlock? destination)
    {
        foreach (var held in state.Held)
        {
            if (held.Scope is { } scope && !(at is not null ? Contains(scope, at) : Inside(scope, destination!)))
            {
                var guards = state.Guards.Where(g => g.Value.Lock is { } guarded && guarded.SameLock(held)).Select(g => g.Key).ToList();
                state = state with { Held = state.Held.Remove(held), Guards = guards.Count == 0 ? state.Guards : state.Guards.RemoveRange(guards) };
            }
        }

        return state;
    }

    /// <summary>Whether a block lies in a statement: its first operation (or branch) does; the exit never does; a
    /// block with neither is taken to be where it came from.</summary>
    private static bool Inside(SyntaxNode scope, BasicBlock block)
    {
        if (block.Kind == BasicBlockKind.Exit)
        {
            return false;
        }

        var syntax = (block.Operations.FirstOrDefault() ?? block.BranchValue)?.Syntax;
        return syntax is null || Contains(scope, syntax);
    }

    private static bool Contains(SyntaxNode scope, SyntaxNode syntax) => syntax.SyntaxTree == scope.SyntaxTree && scope.Span.Contains(syntax.Span);

    [MethodImpl(Jit.Optimized)]
    private LockState Visit(IOperation op, LockState state)
    {
        // Generated code can nest expressions thousands deep: give up on the body (the model skips it) rather
        // than overflow the compiler's stack.
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (op)
        {
            case IFlowAnonymousFunctionOperation lambda:
                _sink.Lambda(lambda);
                return state;

            case IAwaitOperation awaitOp:
                return VisitAwait(awaitOp, state);
        }

        foreach (var child in op.ChildOperations)
        {
            state = Visit(child, state);
        }

        switch (op)
        {
            case IInvocationOperation invocation:
                if (_locks.Recognize(invocation, _body) is { } lockEvent)
                {
                    return Apply(lockEvent, invocation, state);
                }

                _sink.Call(invocation, state);
                return state;

            case IFieldReferenceOperation field:
                _sink.Access(field, field.Field, state);
                return state;

            case IPropertyReferenceOperation property:
                _sink.Access(property, property.Property, state);
                _sink.Call(property, state);
                return state;

            case IObjectCreationOperation creation:
                _sink.Call(creation, state);
                return state;

            case IBinaryOperation { OperatorMethod: not null } or IUnaryOperation { OperatorMethod: not null } or IIncrementOrDecrementOperation { OperatorMethod: not null }
                or ICompoundAssignmentOperation { OperatorMethod: not null } or IConversionOperation { OperatorMethod: not null }:
                _sink.Call(op, state);
                return state;

            case IInvalidOperation invalid when _locks.RecognizeUnloweredLockStatement(invalid, _body) is { } lockStatement:
                return Apply(lockStatement, invalid, state);

            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assign:
                // The local now says what its value says: a try-lock's result, a known false, the object of a held
                // lock, null, or nothing (always nothing for a local that is also written some other way).
                var guards = state.Guards.Remove(local.Local);
                if (_body.IsWrittenOtherwise(local.Local))
                {
                    return StaleAfterReassignment(guards == state.Guards ? state : state with { Guards = guards }, local.Local);
                }

                if (state.Guards.TryGetValue(Strip(assign.Value), out var pending))
                {
                    guards = guards.Remove(Strip(assign.Value)).SetItem(local.Local, pending);
                }
                else if (assign.Value.ConstantValue is { HasValue: true, Value: false })
                {
                    guards = guards.SetItem(local.Local, Guard.False);
                }
                else if (local.Local.Type.IsReferenceType && ReferenceGuard(local, assign.Value, state) is { } named)
                {
                    guards = guards.SetItem(local.Local, named);
                }

                return StaleAfterReassignment(guards == state.Guards ? state : state with { Guards = guards }, local.Local);

            case ISimpleAssignmentOperation { Target: IParameterReferenceOperation parameter } flagStore when state.Guards.ContainsKey(parameter.Parameter):
                // A caller's taken flag (only ever set to false in the body, see BodyContext.CallerFlags).
                return state with
                {
                    Guards = flagStore.Value.ConstantValue is { HasValue: true, Value: false } ? state.Guards.SetItem(parameter.Parameter, Guard.False) : state.Guards.Remove(parameter.Parameter),
                };

            case ISimpleAssignmentOperation { Target: IParameterReferenceOperation parameter }:
                return StaleAfterReassignment(state, parameter.Parameter);

            default:
                return state;
        }
    }

    /// <summary>What a reference local assigned this value says about a lock: null; the object of a held lock (named
    /// by the same path); what another such local says; else nothing.</summary>
    private Guard? ReferenceGuard(ILocalReferenceOperation target, IOperation value, LockState state)
    {
        if (IsNull(value))
        {
            return Guard.Null;
        }

        Guard? guard = null;
        if (Strip(value) is ILocalReferenceOperation other && state.Guards.TryGetValue(other.Local, out var copied))
        {
            guard = copied is { Reference: true, Lock: not null } ? copied : null;
        }
        else if (_body.PathOf(value) is { } path)
        {
            guard = state.Held.LastOrDefault(h => path.Equals(h.ObjectPath)) is { } lockObject
                ? new Guard(lockObject, GuardKind.TrueAndHeld) { Reference = true }
                : state.Held.LastOrDefault(h => path.Equals(h.Instance)) is { } container
                    ? new Guard(container, GuardKind.TrueAndHeld) { Reference = true, ToInstance = true }
                    : null;
        }

        if (guard?.Lock is not { } named)
        {
            return guard;
        }

        // The same lock as named through this local: its own lock class for a lock on the object itself, the
        // member's class on this local for a lock in the object.
        var variable = guard.ToInstance
            ? named with { Instance = new AccessPath.Local(target.Local), Scope = null }
            : _locks.Name(target, _body, named.Class.Api) is var byLocal
                ? named with { Class = byLocal.Class, Instance = byLocal.Instance, Scope = null }
                : null;
        return guard with { Variable = variable };
    }

    /// <summary>The held lock a lock operation names through a local that refers to its object (or the object it
    /// lives in): <c>Monitor.Exit(prev)</c> or <c>Monitor.Exit(prev.Gate)</c> after <c>prev = cur</c> releases what
    /// was taken as <c>cur</c> or <c>cur.Gate</c>, even after <c>cur</c> moved on.</summary>
    private static HeldLock? Aliased(LockRef lockRef, LockState state)
    {
        var start = lockRef.Instance;
        while (start is AccessPath.Member member)
        {
            start = member.Instance;
        }

        if (start is not AccessPath.Local local || !state.Guards.TryGetValue(local.Symbol, out var guard)
            || guard is not { Reference: true, Kind: GuardKind.TrueAndHeld, Lock: { } aliased }
            || lockRef.ObjectPath is not { } objectPath
            || (guard.ToInstance ? aliased.Instance : aliased.ObjectPath) is not { } named)
        {
            return null;
        }

        return Equals(objectPath.Replace(local, named), aliased.ObjectPath) ? aliased : null;
    }

    private LockState VisitAwait(IAwaitOperation awaitOp, LockState state)
    {
        // 'await sem.WaitAsync()': the semaphore is held only once the await completes.
        if (Strip(awaitOp.Operation) is IInvocationOperation invocation && _locks.Recognize(invocation, _body) is { IsAsync: true } asyncAcquire)
        {
            foreach (var child in invocation.ChildOperations)
            {
                state = Visit(child, state);
            }

            _sink.Await(awaitOp, state);
            return Apply(asyncAcquire, invocation, state);
        }

        state = Visit(awaitOp.Operation, state);
        _sink.Await(awaitOp, state);
        return state;
    }

    [MethodImpl(Jit.Optimized)]
    private LockState Apply(LockEvent lockEvent, IOperation site, LockState state)
    {
        // A lock named through a local that refers to the object of a held lock is that lock.
        if (Aliased(lockEvent.Lock, state) is { } aliased)
        {
            lockEvent = lockEvent with { Lock = new LockRef(aliased.Class, aliased.Instance) };
        }

        var lockRef = lockEvent.Lock;
        switch (lockEvent.Kind)
        {
            case LockEventKind.Acquire:
            {
                _sink.Acquire(lockEvent, site, state);
                // Entering a lock already held in the same mode counts a recursion (reentrant primitives); in another
                // mode (a reader-writer lock's upgrade) it is held in both.
                int index = state.IndexOf(lockRef, lockEvent.Mode);
                var held = state.Held;
                HeldLock entry;
                if (index >= 0)
                {
                    entry = held[index];
                    if (lockRef.Class.Reentrant)
                    {
                        entry = entry with { Count = entry.Count + 1 };
                        held = held.SetItem(index, entry);
                    }
                }
                else
                {
                    entry = new HeldLock(lockRef.Class, lockRef.Instance, 1, lockEvent.IsAsync, site.Syntax) { Scope = lockEvent.Scope, Mode = lockEvent.Mode };
                    held = held.Add(entry);
                }

                var guards = lockEvent.RefGuard is null ? state.Guards : state.Guards.SetItem(lockEvent.RefGuard, new Guard(entry, GuardKind.TrueAndHeld));
                return new LockState(held, guards, state.Dropped.Remove(lockRef.Class));
            }

            case LockEventKind.TryAcquire:
            {
                _sink.Acquire(lockEvent, site, state);
                var entry = new HeldLock(lockRef.Class, lockRef.Instance, 1, lockEvent.IsAsync, site.Syntax) { Mode = lockEvent.Mode };
                object key = lockEvent.RefGuard is not null ? lockEvent.RefGuard : site;
                return state with { Guards = state.Guards.SetItem(key, new Guard(entry, GuardKind.HeldIffTrue)) };
            }

            default:
            {
                // A release must match the mode taken (ExitReadLock does not release a write lock).
                int index = state.IndexOf(lockRef, lockEvent.Mode);

                // Not held here but where the caller's taken flag says the caller holds its lock: the caller's.
                _sink.Release(lockEvent, site, wasHeld: index >= 0 || state.CallerHolds);
                if (index < 0)
                {
                    // Not held on this path, or held only where a flag says so: either way not held after it.
                    var conditional = state.Guards.IsEmpty ? null : state.Guards.Where(g => g.Value.Lock is { } guarded && ReferenceEquals(guarded.Class, lockRef.Class) && Equals(guarded.Instance, lockRef.Instance))
                        .Select(g => g.Key).ToList();
                    return state with { Dropped = state.Dropped.Add(lockRef.Class), Guards = conditional is null || conditional.Count == 0 ? state.Guards : state.Guards.RemoveRange(conditional) };
                }

                var entry = state.Held[index];
                if (entry.Count > 1)
                {
                    return state with { Held = state.Held.SetItem(index, entry with { Count = entry.Count - 1 }) };
                }

                // Once released, a guard no longer says anything about the lock.
                // (Most states have no guards: then nothing is enumerated or allocated.)
                var stale = state.Guards.IsEmpty ? null : state.Guards.Where(g => g.Value.Lock is { } guarded && guarded.SameLock(entry)).Select(g => g.Key).ToList();
                return new LockState(state.Held.RemoveAt(index), stale is null || stale.Count == 0 ? state.Guards : state.Guards.RemoveRange(stale), state.Dropped);
            }
        }
    }

    /// <summary>A held lock named through a local or parameter that is assigned again no longer denotes the object
    /// that variable now holds: its access path becomes stale (it still counts as held).</summary>
    [MethodImpl(Jit.Optimized)]
    private static LockState StaleAfterReassignment(LockState state, ISymbol variable)
    {
        // Every assignment of a local comes here: answer the common case (nothing named through it) before the
        // closures and lists of the rest (a lambda that captures a parameter allocates on entry to its method).
        bool held = NamesAny(state.Held, variable);
        return !held && state.Guards.IsEmpty ? state : StaleNamed(state, variable, held);
    }

    private static bool NamedBy(HeldLock h, ISymbol variable) => h.Instance?.Variable is { } v && SymbolEqualityComparer.Default.Equals(v, variable);

    private static bool NamesAny(ImmutableArray<HeldLock> held, ISymbol variable)
    {
        foreach (var h in held)
        {
            if (NamedBy(h, variable))
            {
                return true;
            }
        }

        return false;
    }

    [MethodImpl(Jit.Optimized)]
    private static LockState StaleNamed(LockState state, ISymbol variable, bool held)
    {
        static HeldLock Stale(HeldLock h) => h with { Instance = new AccessPath.Stale(h.Instance!) };
        var guarded = state.Guards.Where(g => g.Value.Lock is { } l && NamedBy(l, variable)).ToList();
        if (!held && guarded.Count == 0)
        {
            return state;
        }

        // The guards that speak of such a lock go stale with it, so they still find it.
        var guards = state.Guards;
        foreach (var pair in guarded)
        {
            guards = guards.SetItem(pair.Key, pair.Value with { Lock = Stale(pair.Value.Lock!) });
        }

        return state with { Held = state.Held.Select(h => NamedBy(h, variable) ? Stale(h) : h).ToImmutableArray(), Guards = guards };
    }

    private static IOperation Strip(IOperation op)
    {
        while (op is IConversionOperation conversion)
        {
            op = conversion.Operand;
        }

        return op;
    }
}
