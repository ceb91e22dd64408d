using System.Collections.Immutable;
using System.Linq;
using LockOrder.Engine.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LockOrder.Engine.Flow;

/// <summary>What the transfer observes as it walks a body; the fact recorder listens, the fixpoint pass does not.</summary>
internal interface IFlowSink
{
    void Lambda(IFlowAnonymousFunctionOperation lambda);

    void Acquire(LockEvent lockEvent, IInvocationOperation invocation, LockState before);

    /// <summary>A release, and whether the lock was held on the path that reached it.</summary>
    void Release(LockEvent lockEvent, IInvocationOperation invocation, bool wasHeld);

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

    public void Acquire(LockEvent lockEvent, IInvocationOperation invocation, LockState before)
    {
    }

    public void Release(LockEvent lockEvent, IInvocationOperation invocation, bool wasHeld)
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

    public LockState AnalyzeBlock(BasicBlock block, LockState input)
    {
        var state = input;
        foreach (var op in block.Operations)
        {
            state = Visit(op, state);
        }

        return block.BranchValue is null ? state : Visit(block.BranchValue, state);
    }

    /// <summary>
    /// A guard whose lock is already held says its boolean is true (that is what <c>Enter(o, ref taken)</c>
    /// guarantees on return); a try-lock guard says the lock is held exactly on the true branch.
    /// </summary>
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

        object key = op is ILocalReferenceOperation local ? local.Local : op;
        if (!state.Guards.TryGetValue(key, out var guard))
        {
            return state;
        }

        if (guard.AlreadyHeld)
        {
            return outcome ? state : null;
        }

        var guards = state.Guards.Remove(key);
        if (!outcome)
        {
            return state with { Guards = guards };
        }

        var held = state.IndexOfExact(guard.Lock) < 0 ? state.Held.Add(guard.Lock) : state.Held;
        return state with { Held = held, Guards = key is ILocalSymbol ? guards.SetItem(key, guard with { AlreadyHeld = true }) : guards };
    }

    /// <summary>A try-lock's result not stored by the end of its block is lost.</summary>
    public LockState OnEdge(LockState state)
    {
        if (state.Guards.IsEmpty || !state.Guards.Keys.Any(k => k is IOperation))
        {
            return state;
        }

        return state with { Guards = state.Guards.RemoveRange(state.Guards.Keys.Where(k => k is IOperation).ToList()) };
    }

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

            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assign:
                var guards = state.Guards.Remove(local.Local);
                if (state.Guards.TryGetValue(Strip(assign.Value), out var pending))
                {
                    guards = guards.Remove(Strip(assign.Value)).SetItem(local.Local, pending);
                }

                return StaleAfterReassignment(guards == state.Guards ? state : state with { Guards = guards }, local.Local);

            case ISimpleAssignmentOperation { Target: IParameterReferenceOperation parameter }:
                return StaleAfterReassignment(state, parameter.Parameter);

            default:
                return state;
        }
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

    private LockState Apply(LockEvent lockEvent, IInvocationOperation invocation, LockState state)
    {
        var lockRef = lockEvent.Lock;
        switch (lockEvent.Kind)
        {
            case LockEventKind.Acquire:
            {
                _sink.Acquire(lockEvent, invocation, state);
                int index = state.IndexOf(lockRef);
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
                    entry = new HeldLock(lockRef.Class, lockRef.Instance, 1, lockEvent.IsAsync, invocation);
                    held = held.Add(entry);
                }

                var guards = lockEvent.RefGuard is null ? state.Guards : state.Guards.SetItem(lockEvent.RefGuard, new Guard(entry, AlreadyHeld: true));
                return new LockState(held, guards, state.Dropped.Remove(lockRef.Class));
            }

            case LockEventKind.TryAcquire:
            {
                _sink.Acquire(lockEvent, invocation, state);
                var entry = new HeldLock(lockRef.Class, lockRef.Instance, 1, lockEvent.IsAsync, invocation);
                object key = lockEvent.RefGuard is not null ? lockEvent.RefGuard : invocation;
                return state with { Guards = state.Guards.SetItem(key, new Guard(entry, AlreadyHeld: false)) };
            }

            default:
            {
                int index = state.IndexOf(lockRef);
                _sink.Release(lockEvent, invocation, wasHeld: index >= 0);
                if (index < 0)
                {
                    return state with { Dropped = state.Dropped.Add(lockRef.Class) };
                }

                var entry = state.Held[index];
                if (entry.Count > 1)
                {
                    return state with { Held = state.Held.SetItem(index, entry with { Count = entry.Count - 1 }) };
                }

                // Once released, a guard no longer says anything about the lock.
                var stale = state.Guards.Where(g => g.Value.Lock.SameLock(entry)).Select(g => g.Key).ToList();
                return new LockState(state.Held.RemoveAt(index), stale.Count == 0 ? state.Guards : state.Guards.RemoveRange(stale), state.Dropped);
            }
        }
    }

    /// <summary>A held lock named through a local or parameter that is assigned again no longer denotes the object
    /// that variable now holds: its access path becomes stale (it still counts as held).</summary>
    private static LockState StaleAfterReassignment(LockState state, ISymbol variable)
    {
        bool Named(HeldLock h) => h.Instance?.Variable is { } v && SymbolEqualityComparer.Default.Equals(v, variable);
        if (!state.Held.Any(Named))
        {
            return state;
        }

        return state with { Held = state.Held.Select(h => Named(h) ? h with { Instance = new AccessPath.Stale(h.Instance!) } : h).ToImmutableArray() };
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
