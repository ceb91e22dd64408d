using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LockOrder.Engine;

/// <summary>
/// The lock-state engine: a worklist dataflow over Roslyn's <see cref="ControlFlowGraph"/>, in the style of
/// dotnet/roslyn-analyzers' flow analysis, over a small must-domain (<see cref="LockState"/>).
/// <list type="bullet">
/// <item>Finally regions are analysed per continuation (the chain of pending finally regions and the branch's
/// destination), so a return inside <c>try</c> and the normal exit do not blur each other.</item>
/// <item>Catch and filter entries receive the meet of the states at every block of their try region.</item>
/// <item>Booleans that guard locks (<c>lockTaken</c>, a try-lock's result) refine the state on each branch.</item>
/// <item>Exceptional exits are not followed: a lock leaked only by an exception escaping the method is not reported.</item>
/// </list>
/// A first pass reaches the fixpoint; a second pass over the final states records the facts.
/// </summary>
internal sealed class LockDataflow
{
    private readonly ControlFlowGraph _cfg;
    private readonly BodyContext _body;
    private readonly LockRecognizer _recognizer;
    private readonly BlockingCatalog _catalog;
    private readonly CancellationToken _cancellationToken;

    // Continuations: index 0 is "no pending finally".
    private readonly List<Continuation> _continuations = new() { new Continuation(ImmutableArray<ControlFlowRegion>.Empty, null, -1) };
    private readonly Dictionary<(string, int, int), int> _continuationIds = new();
    private readonly Dictionary<Node, LockState> _input = new();

    // Recording (second pass only).
    private bool _recording;
    private readonly Dictionary<IOperation, AcquireFact> _acquisitions = new();
    private readonly Dictionary<IOperation, ReleaseFact> _releases = new();
    private readonly Dictionary<IOperation, CallFact> _calls = new();
    private readonly Dictionary<IOperation, AwaitFact> _awaits = new();
    private readonly Dictionary<IOperation, AccessFact> _accesses = new();
    private readonly Dictionary<Node, List<LockState>> _incoming = new();
    private readonly List<IFlowAnonymousFunctionOperation> _lambdas = new();

    private LockDataflow(ControlFlowGraph cfg, ISymbol owner, LockRecognizer recognizer, BlockingCatalog catalog, CancellationToken cancellationToken)
    {
        _cfg = cfg;
        _body = new BodyContext(cfg, owner);
        _recognizer = recognizer;
        _catalog = catalog;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Analyses a body and, recursively, the lambdas and local functions inside it.</summary>
    public static ImmutableArray<BodyFacts> Analyze(ControlFlowGraph cfg, ISymbol owner, IOperation? root, LockRecognizer recognizer, BlockingCatalog catalog, CancellationToken cancellationToken)
    {
        var result = ImmutableArray.CreateBuilder<BodyFacts>();
        AnalyzeInto(cfg, owner, root, recognizer, catalog, cancellationToken, result);
        return result.ToImmutable();
    }

    private static void AnalyzeInto(ControlFlowGraph cfg, ISymbol owner, IOperation? root, LockRecognizer recognizer, BlockingCatalog catalog, CancellationToken cancellationToken, ImmutableArray<BodyFacts>.Builder result)
    {
        var flow = new LockDataflow(cfg, owner, recognizer, catalog, cancellationToken);
        result.Add(flow.Run(root));
        foreach (var lambda in flow._lambdas)
        {
            AnalyzeInto(cfg.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken), lambda.Symbol, lambda, recognizer, catalog, cancellationToken, result);
        }

        foreach (var local in cfg.LocalFunctions)
        {
            AnalyzeInto(cfg.GetLocalFunctionControlFlowGraph(local, cancellationToken), local, null, recognizer, catalog, cancellationToken, result);
        }
    }

    private BodyFacts Run(IOperation? root)
    {
        var entry = new Node(_cfg.Blocks[0].Ordinal, 0);
        _input[entry] = LockState.Empty;
        var worklist = new Queue<Node>();
        var queued = new HashSet<Node>();
        worklist.Enqueue(entry);
        queued.Add(entry);

        // The lattice is finite (locks come from acquisition sites, counts only shrink at merges), so this
        // terminates; the cap is a guard against an engine bug, not a tuning knob.
        int budget = 200 * (_cfg.Blocks.Length + 1);
        while (worklist.Count > 0)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (--budget < 0)
            {
                return new BodyFacts(_body.Owner, root, ImmutableArray<AcquireFact>.Empty, ImmutableArray<ReleaseFact>.Empty, ImmutableArray<CallFact>.Empty,
                    ImmutableArray<AwaitFact>.Empty, ImmutableArray<MergeFact>.Empty, ImmutableArray<HeldLock>.Empty);
            }

            var node = worklist.Dequeue();
            queued.Remove(node);
            foreach (var (target, state) in Transfer(node, _input[node]))
            {
                if (_input.TryGetValue(target, out var old))
                {
                    var met = LockState.Meet(old, state);
                    if (met.SameAs(old))
                    {
                        continue;
                    }

                    _input[target] = met;
                }
                else
                {
                    _input[target] = state;
                }

                if (queued.Add(target))
                {
                    worklist.Enqueue(target);
                }
            }
        }

        // Second pass: record facts from the final states.
        _recording = true;
        foreach (var pair in _input.OrderBy(p => p.Key.Block).ThenBy(p => p.Key.Continuation))
        {
            _cancellationToken.ThrowIfCancellationRequested();
            foreach (var (target, state) in Transfer(pair.Key, pair.Value))
            {
                if (!_incoming.TryGetValue(target, out var list))
                {
                    _incoming[target] = list = new List<LockState>();
                }

                list.Add(state);
            }
        }

        return BuildFacts(root);
    }

    private BodyFacts BuildFacts(IOperation? root)
    {
        var merges = ImmutableArray.CreateBuilder<MergeFact>();
        var exitStates = new List<LockState>();
        foreach (var pair in _incoming.OrderBy(p => p.Key.Block))
        {
            var block = _cfg.Blocks[pair.Key.Block];
            if (block.Kind == BasicBlockKind.Exit)
            {
                exitStates.AddRange(pair.Value);
                continue;
            }

            if (pair.Value.Count < 2)
            {
                continue;
            }

            var disagreement = LockState.Disagreement(pair.Value);
            if (disagreement.Count > 0)
            {
                merges.Add(new MergeFact(MergeLocation(block), disagreement.ToImmutableArray(), atExit: false));
            }
        }

        var heldAtExit = ImmutableArray<HeldLock>.Empty;
        if (exitStates.Count > 0)
        {
            var met = exitStates.Aggregate(LockState.Meet);
            heldAtExit = met.Held;
            var disagreement = LockState.Disagreement(exitStates);
            if (disagreement.Count > 0)
            {
                merges.Add(new MergeFact(OwnerLocation(root), disagreement.ToImmutableArray(), atExit: true));
            }
        }

        return new BodyFacts(
            _body.Owner,
            root,
            _acquisitions.Values.OrderBy(f => f.Operation.Syntax.SpanStart).ToImmutableArray(),
            _releases.Values.OrderBy(f => f.Operation.Syntax.SpanStart).ToImmutableArray(),
            _calls.Values.OrderBy(f => f.Operation.Syntax.SpanStart).ToImmutableArray(),
            _awaits.Values.OrderBy(f => f.Operation.Syntax.SpanStart).ToImmutableArray(),
            merges.ToImmutable(),
            heldAtExit,
            _accesses.Values.OrderBy(f => f.Operation.Syntax.SpanStart).ToImmutableArray());
    }

    private Location MergeLocation(BasicBlock block)
    {
        var first = block.Operations.FirstOrDefault() ?? block.BranchValue;
        return first is not null ? OperationLocations.Of(first) : OwnerLocation(null);
    }

    /// <summary>The body's name (a method's identifier, a lambda's arrow), else its syntax.</summary>
    private Location OwnerLocation(IOperation? root)
        => _body.Owner.Locations.FirstOrDefault(l => l.IsInSource) ?? root?.Syntax.GetLocation() ?? Location.None;

    // ---- transfer --------------------------------------------------------------------------------------

    private IEnumerable<(Node, LockState)> Transfer(Node node, LockState input)
    {
        var block = _cfg.Blocks[node.Block];
        var edges = new List<(Node, LockState)>();
        var state = input;
        foreach (var op in block.Operations)
        {
            state = Visit(op, state);
        }

        if (block.BranchValue is not null)
        {
            state = Visit(block.BranchValue, state);
        }

        if (block.ConditionKind != ControlFlowConditionKind.None && block.BranchValue is not null)
        {
            bool jumpWhen = block.ConditionKind == ControlFlowConditionKind.WhenTrue;
            // A branch the guards prove infeasible (false after Enter(o, ref taken)) is not followed.
            if (Refine(state, block.BranchValue, jumpWhen) is { } whenJump)
            {
                Follow(block.ConditionalSuccessor, node, DropPendingTries(whenJump), edges);
            }

            if (Refine(state, block.BranchValue, !jumpWhen) is { } whenFall)
            {
                Follow(block.FallThroughSuccessor, node, DropPendingTries(whenFall), edges);
            }
        }
        else
        {
            Follow(block.FallThroughSuccessor, node, DropPendingTries(state), edges);
        }

        // An exception may leave the try at any of its blocks: handlers start from the meet of those states.
        foreach (var handler in HandlerEntries(block))
        {
            edges.Add((new Node(handler, node.Continuation), DropPendingTries(input)));
        }

        return edges;
    }

    private void Follow(ControlFlowBranch? branch, Node from, LockState state, List<(Node, LockState)> edges)
    {
        if (branch is null)
        {
            return;
        }

        switch (branch.Semantics)
        {
            case ControlFlowBranchSemantics.Regular:
            case ControlFlowBranchSemantics.Return:
                if (branch.Destination is null)
                {
                    return;
                }

                if (!branch.FinallyRegions.IsEmpty)
                {
                    var regions = branch.FinallyRegions;
                    int k = Intern(regions.RemoveAt(0), branch.Destination, from.Continuation);
                    edges.Add((new Node(regions[0].FirstBlockOrdinal, k), state));
                }
                else
                {
                    edges.Add((new Node(branch.Destination.Ordinal, from.Continuation), state));
                }

                return;

            case ControlFlowBranchSemantics.StructuredExceptionHandling:
                var source = _cfg.Blocks[from.Block];
                var region = source.EnclosingRegion;
                if (region.Kind == ControlFlowRegionKind.Filter && region.EnclosingRegion is { } filterAndHandler)
                {
                    var handler = filterAndHandler.NestedRegions.FirstOrDefault(r => r.Kind == ControlFlowRegionKind.Catch);
                    if (handler is not null)
                    {
                        edges.Add((new Node(handler.FirstBlockOrdinal, from.Continuation), state));
                    }

                    return;
                }

                if (from.Continuation == 0)
                {
                    return; // A finally reached only by exceptions: not followed.
                }

                var c = _continuations[from.Continuation];
                if (!c.Pending.IsEmpty)
                {
                    edges.Add((new Node(c.Pending[0].FirstBlockOrdinal, Intern(c.Pending.RemoveAt(0), c.Destination!, c.Parent)), state));
                }
                else if (c.Destination is not null)
                {
                    edges.Add((new Node(c.Destination.Ordinal, c.Parent), state));
                }

                return;

            default:
                return; // Throw, rethrow, error, program termination: not followed.
        }
    }

    private IEnumerable<int> HandlerEntries(BasicBlock block)
    {
        // A lambda's or local function's graph is nested in its container's, and its root region's
        // EnclosingRegion leads into the container's regions, whose handlers are blocks of the other graph: stop
        // at this graph's root.
        for (var region = block.EnclosingRegion; region is not null && region != _cfg.Root; region = region.EnclosingRegion)
        {
            if (region.Kind == ControlFlowRegionKind.Try && region.EnclosingRegion is { Kind: ControlFlowRegionKind.TryAndCatch } tryAndCatch)
            {
                foreach (var handler in tryAndCatch.NestedRegions)
                {
                    if (handler.Kind is ControlFlowRegionKind.Catch or ControlFlowRegionKind.FilterAndHandler)
                    {
                        yield return handler.FirstBlockOrdinal;
                    }
                }
            }
        }
    }

    private int Intern(ImmutableArray<ControlFlowRegion> pending, BasicBlock destination, int parent)
    {
        var key = (string.Join(",", pending.Select(r => r.FirstBlockOrdinal)), destination.Ordinal, parent);
        if (!_continuationIds.TryGetValue(key, out int id))
        {
            id = _continuations.Count;
            _continuations.Add(new Continuation(pending, destination, parent));
            _continuationIds.Add(key, id);
        }

        return id;
    }

    // ---- operations ------------------------------------------------------------------------------------

    /// <summary>A held lock named through a local or parameter that is assigned again no longer denotes the
    /// object that variable now holds: its access path becomes stale (it still counts as held).</summary>
    private static LockState StaleAfterReassignment(LockState state, string variable)
    {
        if (!state.Held.Any(h => h.Instance is { } i && (i == variable || i.StartsWith(variable + ".", System.StringComparison.Ordinal))))
        {
            return state;
        }

        return state.WithHeld(state.Held.Select(h => h.Instance is { } i && (i == variable || i.StartsWith(variable + ".", System.StringComparison.Ordinal))
            ? h.WithInstance("stale:" + i) : h).ToImmutableArray());
    }

    private LockState Visit(IOperation op, LockState state)
    {
        // Generated code can nest expressions thousands deep: give up on the body (LockModel skips it) rather
        // than overflow the compiler's stack.
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (op)
        {
            case IFlowAnonymousFunctionOperation lambda:
                if (_recording && !_lambdas.Contains(lambda))
                {
                    _lambdas.Add(lambda);
                }

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
                var lockEvent = _recognizer.Recognize(invocation, _body);
                if (lockEvent is not null)
                {
                    return Apply(lockEvent, invocation, state);
                }

                if (_recording)
                {
                    RecordCall(invocation, invocation.TargetMethod, state, _catalog.Blocking(invocation), _body.TargetsOf(invocation), _body.ObjectPathsOf(invocation));
                }

                return state;

            case IFieldReferenceOperation field:
                RecordAccess(field, field.Field, state);
                return state;

            case IPropertyReferenceOperation property:
                RecordAccess(property, property.Property, state);
                var blocking = _catalog.Blocking(property);
                var accessor = property.Parent is ISimpleAssignmentOperation assignment && assignment.Target == property ? property.Property.SetMethod : property.Property.GetMethod;
                if (blocking is not null || accessor is { DeclaringSyntaxReferences.Length: > 0 })
                {
                    RecordCall(property, accessor, state, blocking);
                }

                return state;

            case IObjectCreationOperation creation when creation.Constructor is { DeclaringSyntaxReferences.Length: > 0 }:
                RecordCall(creation, creation.Constructor, state, null);
                return state;

            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assign:
                var guards = state.Guards.Remove(local.Local);
                if (state.Guards.TryGetValue(Strip(assign.Value), out var pending))
                {
                    guards = guards.Remove(Strip(assign.Value)).SetItem(local.Local, pending);
                }

                state = StaleAfterReassignment(guards == state.Guards ? state : state.WithGuards(guards), "l:" + local.Local.Name);
                return state;

            case ISimpleAssignmentOperation { Target: IParameterReferenceOperation parameter }:
                return StaleAfterReassignment(state, "p:" + parameter.Parameter.Name);

            default:
                return state;
        }
    }

    private LockState VisitAwait(IAwaitOperation awaitOp, LockState state)
    {
        // 'await sem.WaitAsync()': the semaphore is held only once the await completes.
        if (Strip(awaitOp.Operation) is IInvocationOperation invocation && _recognizer.Recognize(invocation, _body) is { IsAsync: true } asyncAcquire)
        {
            foreach (var child in invocation.ChildOperations)
            {
                state = Visit(child, state);
            }

            RecordAwait(awaitOp, state);
            return Apply(asyncAcquire, invocation, state);
        }

        state = Visit(awaitOp.Operation, state);
        RecordAwait(awaitOp, state);
        return state;
    }

    private LockState Apply(LockEvent lockEvent, IInvocationOperation invocation, LockState state)
    {
        var lockRef = lockEvent.Lock;
        switch (lockEvent.Kind)
        {
            case LockEventKind.Acquire:
            {
                RecordAcquire(lockEvent, invocation, state);

                int index = state.IndexOf(lockRef);
                var held = state.Held;
                HeldLock entry;
                if (index >= 0)
                {
                    entry = held[index];
                    if (lockRef.Class.Reentrant)
                    {
                        entry = entry.WithCount(entry.Count + 1);
                        held = held.SetItem(index, entry);
                    }
                }
                else
                {
                    entry = new HeldLock(lockRef.Class, lockRef.Instance, 1, lockEvent.IsAsync, invocation);
                    held = held.Add(entry);
                }

                var guards = lockEvent.RefGuard is null ? state.Guards : state.Guards.SetItem(lockEvent.RefGuard, new Guard(entry, alreadyHeld: true));
                return new LockState(held, guards, state.Dropped.Remove(lockRef.Class));
            }

            case LockEventKind.TryAcquire:
            {
                RecordAcquire(lockEvent, invocation, state);

                var entry = new HeldLock(lockRef.Class, lockRef.Instance, 1, lockEvent.IsAsync, invocation);
                object key = lockEvent.RefGuard is not null ? lockEvent.RefGuard : invocation;
                return state.WithGuards(state.Guards.SetItem(key, new Guard(entry, alreadyHeld: false)));
            }

            default:
            {
                int index = state.IndexOf(lockRef);
                if (_recording)
                {
                    bool wasHeld = index >= 0 && (!_releases.TryGetValue(invocation, out var existing) || existing.WasHeld);
                    _releases[invocation] = new ReleaseFact(lockEvent, wasHeld, invocation);
                }

                if (index < 0)
                {
                    return state.WithDropped(state.Dropped.Add(lockRef.Class));
                }

                var entry = state.Held[index];
                if (entry.Count > 1)
                {
                    return state.WithHeld(state.Held.SetItem(index, entry.WithCount(entry.Count - 1)));
                }

                // Once released, a guard no longer says anything about the lock.
                var stale = state.Guards.Where(g => g.Value.Lock.SameLock(entry)).Select(g => g.Key).ToList();
                return new LockState(state.Held.RemoveAt(index), stale.Count == 0 ? state.Guards : state.Guards.RemoveRange(stale), state.Dropped);
            }
        }
    }

    /// <summary>
    /// The state on the branch where <paramref name="branchValue"/> equals <paramref name="outcome"/>, or null when
    /// the guards prove that branch infeasible. A guard whose lock is already held says its boolean is true (that
    /// is what <c>Enter(o, ref taken)</c> guarantees on return); a try-lock guard says the lock is held exactly on
    /// the true branch.
    /// </summary>
    private static LockState? Refine(LockState state, IOperation branchValue, bool outcome)
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
            return state.WithGuards(guards);
        }

        var held = IndexOfExact(state, guard.Lock) < 0 ? state.Held.Add(guard.Lock) : state.Held;
        return new LockState(held, key is ILocalSymbol ? guards.SetItem(key, new Guard(guard.Lock, alreadyHeld: true)) : guards, state.Dropped);
    }

    private static int IndexOfExact(LockState state, HeldLock entry)
    {
        for (int i = state.Held.Length - 1; i >= 0; i--)
        {
            if (state.Held[i].SameLock(entry))
            {
                return i;
            }
        }

        return -1;
    }

    private static LockState DropPendingTries(LockState state)
    {
        if (state.Guards.IsEmpty || !state.Guards.Keys.Any(k => k is IOperation))
        {
            return state;
        }

        return state.WithGuards(state.Guards.RemoveRange(state.Guards.Keys.Where(k => k is IOperation).ToList()));
    }

    private static IOperation Strip(IOperation op)
    {
        while (op is IConversionOperation conversion)
        {
            op = conversion.Operand;
        }

        return op;
    }

    private void RecordAcquire(LockEvent lockEvent, IInvocationOperation invocation, LockState state)
    {
        if (!_recording)
        {
            return;
        }

        _acquisitions[invocation] = _acquisitions.TryGetValue(invocation, out var existing)
            ? new AcquireFact(lockEvent, Intersect(existing.HeldBefore, state.Held), invocation, existing.Dropped.Intersect(state.Dropped))
            : new AcquireFact(lockEvent, state.Held, invocation, state.Dropped);
    }

    private void RecordAccess(IOperation op, ISymbol member, LockState state)
    {
        var table = _recognizer.Table;
        if (!_recording || table.ProtectedBy.Count == 0 || !table.ProtectedBy.TryGetValue(Hierarchy.SymbolNames.Qualified(member.OriginalDefinition), out var decl))
        {
            return;
        }

        bool isWrite = op.Parent is IAssignmentOperation assignment && assignment.Target == op
            || op.Parent is IIncrementOrDecrementOperation
            || op.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out };
        _accesses[op] = _accesses.TryGetValue(op, out var existing)
            ? new AccessFact(member, decl, isWrite, Intersect(existing.Held, state.Held), op)
            : new AccessFact(member, decl, isWrite, state.Held, op);
    }

    private void RecordCall(IOperation op, IMethodSymbol? target, LockState state, string? blocking, CallTargets? targets = null, ImmutableArray<string?> objectPaths = default)
    {
        if (!_recording)
        {
            return;
        }

        _calls[op] = _calls.TryGetValue(op, out var existing)
            ? new CallFact(op, target, Intersect(existing.Held, state.Held), blocking, existing.Targets, existing.ObjectPaths, existing.Dropped.Intersect(state.Dropped))
            : new CallFact(op, target, state.Held, blocking, targets, objectPaths, state.Dropped);
    }

    private void RecordAwait(IAwaitOperation op, LockState state)
    {
        if (!_recording)
        {
            return;
        }

        _awaits[op] = _awaits.TryGetValue(op, out var existing)
            ? new AwaitFact(op, Intersect(existing.Held, state.Held))
            : new AwaitFact(op, state.Held);
    }

    /// <summary>A body analysed under several finally continuations keeps, per operation, what held on all of them.</summary>
    private static ImmutableArray<HeldLock> Intersect(ImmutableArray<HeldLock> a, ImmutableArray<HeldLock> b)
        => a.Where(x => b.Any(y => y.SameLock(x))).ToImmutableArray();

    private readonly struct Node : System.IEquatable<Node>
    {
        public Node(int block, int continuation)
        {
            Block = block;
            Continuation = continuation;
        }

        public int Block { get; }
        public int Continuation { get; }

        public bool Equals(Node other) => Block == other.Block && Continuation == other.Continuation;

        public override bool Equals(object? obj) => obj is Node n && Equals(n);

        public override int GetHashCode() => (Block * 397) ^ Continuation;
    }

    private sealed class Continuation
    {
        public Continuation(ImmutableArray<ControlFlowRegion> pending, BasicBlock? destination, int parent)
        {
            Pending = pending;
            Destination = destination;
            Parent = parent;
        }

        public ImmutableArray<ControlFlowRegion> Pending { get; }
        public BasicBlock? Destination { get; }
        public int Parent { get; }
    }
}
