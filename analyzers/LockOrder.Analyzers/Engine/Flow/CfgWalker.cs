using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace LockOrder.Engine.Flow;

/// <summary>The transfer functions and lattice a <see cref="CfgWalker{TState}"/> runs, in the style of Roslyn's
/// DataFlowAnalyzer (AnalyzeBlock, AnalyzeConditionalBranch, Merge, IsEqual).</summary>
internal interface IBlockTransfer<TState>
    where TState : class
{
    TState Meet(TState a, TState b);

    bool Equal(TState a, TState b);

    /// <summary>The state after a block's operations and its branch value. When <paramref name="throwPoints"/> is
    /// given, adds to it the state before each operation (where an exception may leave the block).</summary>
    TState AnalyzeBlock(BasicBlock block, TState input, List<TState>? throwPoints);

    /// <summary>The state on the branch where <paramref name="branchValue"/> equals <paramref name="outcome"/>, or
    /// null when the state proves that branch infeasible.</summary>
    TState? AnalyzeBranch(TState output, Microsoft.CodeAnalysis.IOperation branchValue, bool outcome);

    /// <summary>What leaves a block along an edge to <paramref name="destination"/> (facts that only hold inside the
    /// block, or inside a statement the edge leaves, are dropped).</summary>
    TState OnEdge(TState state, BasicBlock destination);
}

/// <summary>A node of the walk: a block, under a continuation (the chain of finally regions still to run and
/// where control goes after them; 0 is "none pending").</summary>
internal readonly record struct FlowNode(int Block, int Continuation);

/// <summary>
/// The worklist driver over Roslyn's <see cref="ControlFlowGraph"/>, in the style of dotnet/roslyn-analyzers'
/// flow analysis, for any small lattice:
/// <list type="bullet">
/// <item>Finally regions are walked per continuation (the chain of pending finally regions and the branch's
/// destination), so a return inside <c>try</c> and the normal exit do not blur each other.</item>
/// <item>An exception may leave a try region before any of its operations: it runs the finally regions between
/// there and a catch (or filter) entry, which then receives the meet of those states. The finally regions on such
/// a path are walked under an exceptional continuation: they shape the handler's state but record no facts.</item>
/// <item>Exceptions that leave the method are not followed: throw, rethrow, and finally regions reached only so.</item>
/// </list>
/// <see cref="Solve"/> reaches the fixpoint; <see cref="Replay"/> runs the transfer once more over the final
/// states (where a recording transfer collects facts on normal paths) and returns what reaches each node.
/// </summary>
internal sealed class CfgWalker<TState>
    where TState : class
{
    private readonly ControlFlowGraph _cfg;
    private readonly List<Continuation> _continuations = new() { new Continuation(ImmutableArray<ControlFlowRegion>.Empty, null, -1, Exceptional: false) };
    private readonly Dictionary<ContinuationKey, int> _continuationIds = new();
    private readonly List<(BasicBlock Handler, ImmutableArray<ControlFlowRegion> Finallys)>?[] _handlers;

    /// <summary>The bound of a walk, per block of the graph.</summary>
    public const int StepsPerBlock = 200;

    public CfgWalker(ControlFlowGraph cfg)
    {
        _cfg = cfg;
        _handlers = new List<(BasicBlock, ImmutableArray<ControlFlowRegion>)>?[cfg.Blocks.Length];
    }

    public ControlFlowGraph Graph => _cfg;

    /// <summary>The input state of every reachable node at the fixpoint, or null when the walk exceeded its budget.</summary>
    [MethodImpl(Jit.Optimized)]
    public Dictionary<FlowNode, TState>? Solve(IBlockTransfer<TState> transfer, TState entryState, CancellationToken cancellationToken)
    {
        var entry = new FlowNode(_cfg.Blocks[0].Ordinal, 0);
        var input = new Dictionary<FlowNode, TState> { [entry] = entryState };
        var worklist = new Queue<FlowNode>();
        var queued = new HashSet<FlowNode> { entry };
        worklist.Enqueue(entry);

        // The lattice is finite (locks come from acquisition sites, counts only shrink at merges), so this
        // terminates; the cap is a guard against an engine bug, not a tuning knob.
        int budget = StepsPerBlock * (_cfg.Blocks.Length + 1);
        while (worklist.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (--budget < 0)
            {
                return null;
            }

            var node = worklist.Dequeue();
            queued.Remove(node);
            foreach (var (target, state) in Edges(node, input[node], transfer))
            {
                if (input.TryGetValue(target, out var old))
                {
                    var met = transfer.Meet(old, state);
                    if (transfer.Equal(met, old))
                    {
                        continue;
                    }

                    input[target] = met;
                }
                else
                {
                    input[target] = state;
                }

                if (queued.Add(target))
                {
                    worklist.Enqueue(target);
                }
            }
        }

        return input;
    }

    /// <summary>Runs the transfer over every node once, from its fixpoint input, in block order; the recording
    /// transfer on normal paths, the silent one on exceptional paths. Returns the states arriving at each node.</summary>
    public Dictionary<FlowNode, List<TState>> Replay(IBlockTransfer<TState> recording, IBlockTransfer<TState> silent, Dictionary<FlowNode, TState> inputs, CancellationToken cancellationToken)
    {
        var incoming = new Dictionary<FlowNode, List<TState>>();
        foreach (var pair in inputs.OrderBy(p => p.Key.Block).ThenBy(p => p.Key.Continuation))
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var (target, state) in Edges(pair.Key, pair.Value, IsExceptional(pair.Key) ? silent : recording))
            {
                if (!incoming.TryGetValue(target, out var list))
                {
                    incoming[target] = list = new List<TState>();
                }

                list.Add(state);
            }
        }

        return incoming;
    }

    /// <summary>
    /// Whether every branch of the graph goes to a later block: no loop and no backward <c>goto</c>. Then every
    /// edge of the walk goes to a later block too (a finally region and a handler come after the try region they
    /// close, and a branch leaving a try region through its finally regions goes past them), so taking the nodes in
    /// block order reaches each one after all of its predecessors: see <see cref="SolveForward"/>.
    /// </summary>
    public bool IsForward => _cfg.Blocks.All(b => Forward(b, b.ConditionalSuccessor) && Forward(b, b.FallThroughSuccessor));

    private static bool Forward(BasicBlock from, ControlFlowBranch? branch) => branch?.Destination is not { } to || to.Ordinal > from.Ordinal;

    /// <summary>
    /// <see cref="Solve"/> and <see cref="Replay"/> in one pass, for a graph whose edges all go to later blocks
    /// (<see cref="IsForward"/>): the nodes are taken in the order the replay takes them (block, then continuation),
    /// and each node's input is final when it is taken, so the recording transfer runs once per node from its
    /// fixpoint input, as in the replay. Null, having recorded nothing that is kept, when an edge goes back
    /// after all: the caller then solves and replays with a fresh recorder.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    public Dictionary<FlowNode, List<TState>>? SolveForward(IBlockTransfer<TState> recording, IBlockTransfer<TState> silent, TState entryState, CancellationToken cancellationToken)
    {
        var entry = new FlowNode(_cfg.Blocks[0].Ordinal, 0);
        var input = new Dictionary<FlowNode, TState> { [entry] = entryState };
        var incoming = new Dictionary<FlowNode, List<TState>>();

        // The nodes met so far, by block: every edge goes to a later block, so when a block is taken all of its
        // nodes are known, and taking them by continuation is the replay's order.
        var pending = new List<int>?[_cfg.Blocks.Length];
        pending[entry.Block] = new List<int> { entry.Continuation };
        for (int block = entry.Block; block < pending.Length; block++)
        {
            if (pending[block] is not { } continuations)
            {
                continue;
            }

            continuations.Sort();
            foreach (int continuation in continuations)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var node = new FlowNode(block, continuation);
                foreach (var (target, state) in Edges(node, input[node], IsExceptional(node) ? silent : recording))
                {
                    if (target.Block <= node.Block)
                    {
                        return null;
                    }

                    if (!incoming.TryGetValue(target, out var list))
                    {
                        incoming[target] = list = new List<TState>();
                    }

                    list.Add(state);
                    if (input.TryGetValue(target, out var old))
                    {
                        // As the fixpoint keeps a node's input: the meet, unless it equals what was there.
                        var met = recording.Meet(old, state);
                        if (!recording.Equal(met, old))
                        {
                            input[target] = met;
                        }
                    }
                    else
                    {
                        input[target] = state;
                        (pending[target.Block] ??= new List<int>(1)).Add(target.Continuation);
                    }
                }
            }
        }

        return incoming;
    }

    /// <summary>A node on an exception's way to its handler (inside a finally region it runs first).</summary>
    public bool IsExceptional(FlowNode node) => _continuations[node.Continuation].Exceptional;

    private List<(FlowNode, TState)> Edges(FlowNode node, TState input, IBlockTransfer<TState> transfer)
    {
        var block = _cfg.Blocks[node.Block];
        var edges = new List<(FlowNode, TState)>();
        var handlers = _handlers[node.Block] ??= HandlerEntries(block);
        var throwPoints = handlers.Count > 0 ? new List<TState>() : null;
        var state = transfer.AnalyzeBlock(block, input, throwPoints);
        if (block.ConditionKind != ControlFlowConditionKind.None && block.BranchValue is not null)
        {
            bool jumpWhen = block.ConditionKind == ControlFlowConditionKind.WhenTrue;
            if (transfer.AnalyzeBranch(state, block.BranchValue, jumpWhen) is { } whenJump)
            {
                Follow(block.ConditionalSuccessor, node, whenJump, edges);
            }

            if (transfer.AnalyzeBranch(state, block.BranchValue, !jumpWhen) is { } whenFall)
            {
                Follow(block.FallThroughSuccessor, node, whenFall, edges);
            }
        }
        else
        {
            Follow(block.FallThroughSuccessor, node, state, edges);
        }

        if (throwPoints is null)
        {
            return Leave(edges, transfer);
        }

        // An exception may leave the block before any of its operations: through the finally regions it crosses,
        // to each handler that may catch it.
        var distinct = new List<TState>();
        foreach (var point in throwPoints)
        {
            if (!distinct.Any(d => transfer.Equal(d, point)))
            {
                distinct.Add(point);
            }
        }

        foreach (var (handler, finallys) in handlers)
        {
            var target = finallys.IsEmpty
                ? new FlowNode(handler.Ordinal, node.Continuation)
                : new FlowNode(finallys[0].FirstBlockOrdinal, Intern(finallys.RemoveAt(0), handler, node.Continuation, exceptional: true));
            foreach (var leaving in distinct)
            {
                edges.Add((target, leaving));
            }
        }

        return Leave(edges, transfer);
    }

    private List<(FlowNode, TState)> Leave(List<(FlowNode Target, TState State)> edges, IBlockTransfer<TState> transfer)
    {
        for (int i = 0; i < edges.Count; i++)
        {
            edges[i] = (edges[i].Target, transfer.OnEdge(edges[i].State, _cfg.Blocks[edges[i].Target.Block]));
        }

        return edges;
    }

    [MethodImpl(Jit.Optimized)]
    private void Follow(ControlFlowBranch? branch, FlowNode from, TState state, List<(FlowNode, TState)> edges)
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
                    int k = Intern(regions.RemoveAt(0), branch.Destination, from.Continuation, _continuations[from.Continuation].Exceptional);
                    edges.Add((new FlowNode(regions[0].FirstBlockOrdinal, k), state));
                }
                else
                {
                    edges.Add((new FlowNode(branch.Destination.Ordinal, from.Continuation), state));
                }

                return;

            case ControlFlowBranchSemantics.StructuredExceptionHandling:
                var region = _cfg.Blocks[from.Block].EnclosingRegion;
                if (region.Kind == ControlFlowRegionKind.Filter && region.EnclosingRegion is { } filterAndHandler)
                {
                    var handler = filterAndHandler.NestedRegions.FirstOrDefault(r => r.Kind == ControlFlowRegionKind.Catch);
                    if (handler is not null)
                    {
                        edges.Add((new FlowNode(handler.FirstBlockOrdinal, from.Continuation), state));
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
                    edges.Add((new FlowNode(c.Pending[0].FirstBlockOrdinal, Intern(c.Pending.RemoveAt(0), c.Destination!, c.Parent, c.Exceptional)), state));
                }
                else if (c.Destination is not null)
                {
                    edges.Add((new FlowNode(c.Destination.Ordinal, c.Parent), state));
                }

                return;

            default:
                return; // Throw, rethrow, error, program termination: not followed.
        }
    }

    /// <summary>The catch and filter entries an exception leaving <paramref name="block"/> may reach, each with the
    /// finally regions it runs on the way (innermost first).</summary>
    private List<(BasicBlock Handler, ImmutableArray<ControlFlowRegion> Finallys)> HandlerEntries(BasicBlock block)
    {
        var result = new List<(BasicBlock, ImmutableArray<ControlFlowRegion>)>();
        var finallys = ImmutableArray<ControlFlowRegion>.Empty;

        // A lambda's or local function's graph is nested in its container's, and its root region's
        // EnclosingRegion leads into the container's regions, whose handlers are blocks of the other graph: stop
        // at this graph's root.
        for (var region = block.EnclosingRegion; region is not null && region != _cfg.Root; region = region.EnclosingRegion)
        {
            if (region.Kind != ControlFlowRegionKind.Try || region.EnclosingRegion is not { } owner)
            {
                continue;
            }

            if (owner.Kind == ControlFlowRegionKind.TryAndFinally && owner.NestedRegions.FirstOrDefault(r => r.Kind == ControlFlowRegionKind.Finally) is { } finallyRegion)
            {
                finallys = finallys.Add(finallyRegion);
            }
            else if (owner.Kind == ControlFlowRegionKind.TryAndCatch)
            {
                foreach (var handler in owner.NestedRegions)
                {
                    if (handler.Kind is ControlFlowRegionKind.Catch or ControlFlowRegionKind.FilterAndHandler)
                    {
                        result.Add((_cfg.Blocks[handler.FirstBlockOrdinal], finallys));
                    }
                }
            }
        }

        return result;
    }

    private int Intern(ImmutableArray<ControlFlowRegion> pending, BasicBlock destination, int parent, bool exceptional)
    {
        var key = new ContinuationKey(pending, destination.Ordinal, parent, exceptional);
        if (!_continuationIds.TryGetValue(key, out int id))
        {
            id = _continuations.Count;
            _continuations.Add(new Continuation(pending, destination, parent, exceptional));
            _continuationIds.Add(key, id);
        }

        return id;
    }

    /// <summary>A continuation's identity: the same pending finally regions (the graph's own region objects, compared
    /// one by one), destination, parent and kind.</summary>
    private readonly struct ContinuationKey : System.IEquatable<ContinuationKey>
    {
        private readonly ImmutableArray<ControlFlowRegion> _pending;
        private readonly int _destination;
        private readonly int _parent;
        private readonly bool _exceptional;

        public ContinuationKey(ImmutableArray<ControlFlowRegion> pending, int destination, int parent, bool exceptional)
        {
            _pending = pending;
            _destination = destination;
            _parent = parent;
            _exceptional = exceptional;
        }

        public bool Equals(ContinuationKey other)
        {
            if (_destination != other._destination || _parent != other._parent || _exceptional != other._exceptional || _pending.Length != other._pending.Length)
            {
                return false;
            }

            for (int i = 0; i < _pending.Length; i++)
            {
                if (!ReferenceEquals(_pending[i], other._pending[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => obj is ContinuationKey other && Equals(other);

        public override int GetHashCode()
        {
            int hash = (_destination * 397) ^ (_parent * 31) ^ (_exceptional ? 1 : 0);
            foreach (var region in _pending)
            {
                hash = (hash * 31) + region.FirstBlockOrdinal;
            }

            return hash;
        }
    }

    /// <param name="Exceptional">Set on the way from a throw to its handler: the destination is the handler.</param>
    private sealed record Continuation(ImmutableArray<ControlFlowRegion> Pending, BasicBlock? Destination, int Parent, bool Exceptional);
}
