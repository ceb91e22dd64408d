using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
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

    /// <summary>The state after a block's operations and its branch value.</summary>
    TState AnalyzeBlock(BasicBlock block, TState input);

    /// <summary>The state on the branch where <paramref name="branchValue"/> equals <paramref name="outcome"/>, or
    /// null when the state proves that branch infeasible.</summary>
    TState? AnalyzeBranch(TState output, Microsoft.CodeAnalysis.IOperation branchValue, bool outcome);

    /// <summary>What leaves a block along any edge (facts that only hold inside the block are dropped).</summary>
    TState OnEdge(TState state);
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
/// <item>Catch and filter entries receive the meet of the states at every block of their try region.</item>
/// <item>Exceptional exits are not followed: throw, rethrow, and finally regions reached only by exceptions.</item>
/// </list>
/// <see cref="Solve"/> reaches the fixpoint; <see cref="Replay"/> runs the transfer once more over the final
/// states (where a recording transfer collects facts) and returns what reaches each node.
/// </summary>
internal sealed class CfgWalker<TState>
    where TState : class
{
    private readonly ControlFlowGraph _cfg;
    private readonly List<Continuation> _continuations = new() { new Continuation(ImmutableArray<ControlFlowRegion>.Empty, null, -1) };
    private readonly Dictionary<(string, int, int), int> _continuationIds = new();

    public CfgWalker(ControlFlowGraph cfg) => _cfg = cfg;

    public ControlFlowGraph Graph => _cfg;

    /// <summary>The input state of every reachable node at the fixpoint, or null when the walk exceeded its budget.</summary>
    public Dictionary<FlowNode, TState>? Solve(IBlockTransfer<TState> transfer, TState entryState, CancellationToken cancellationToken)
    {
        var entry = new FlowNode(_cfg.Blocks[0].Ordinal, 0);
        var input = new Dictionary<FlowNode, TState> { [entry] = entryState };
        var worklist = new Queue<FlowNode>();
        var queued = new HashSet<FlowNode> { entry };
        worklist.Enqueue(entry);

        // The lattice is finite (locks come from acquisition sites, counts only shrink at merges), so this
        // terminates; the cap is a guard against an engine bug, not a tuning knob.
        int budget = 200 * (_cfg.Blocks.Length + 1);
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

    /// <summary>Runs the transfer over every node once, from its fixpoint input, in block order; returns the states
    /// arriving at each node along each edge.</summary>
    public Dictionary<FlowNode, List<TState>> Replay(IBlockTransfer<TState> transfer, Dictionary<FlowNode, TState> inputs, CancellationToken cancellationToken)
    {
        var incoming = new Dictionary<FlowNode, List<TState>>();
        foreach (var pair in inputs.OrderBy(p => p.Key.Block).ThenBy(p => p.Key.Continuation))
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var (target, state) in Edges(pair.Key, pair.Value, transfer))
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

    private List<(FlowNode, TState)> Edges(FlowNode node, TState input, IBlockTransfer<TState> transfer)
    {
        var block = _cfg.Blocks[node.Block];
        var edges = new List<(FlowNode, TState)>();
        var state = transfer.AnalyzeBlock(block, input);
        if (block.ConditionKind != ControlFlowConditionKind.None && block.BranchValue is not null)
        {
            bool jumpWhen = block.ConditionKind == ControlFlowConditionKind.WhenTrue;
            if (transfer.AnalyzeBranch(state, block.BranchValue, jumpWhen) is { } whenJump)
            {
                Follow(block.ConditionalSuccessor, node, transfer.OnEdge(whenJump), edges);
            }

            if (transfer.AnalyzeBranch(state, block.BranchValue, !jumpWhen) is { } whenFall)
            {
                Follow(block.FallThroughSuccessor, node, transfer.OnEdge(whenFall), edges);
            }
        }
        else
        {
            Follow(block.FallThroughSuccessor, node, transfer.OnEdge(state), edges);
        }

        // An exception may leave the try at any of its blocks: handlers start from the meet of those states.
        foreach (var handler in HandlerEntries(block))
        {
            edges.Add((new FlowNode(handler, node.Continuation), transfer.OnEdge(input)));
        }

        return edges;
    }

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
                    int k = Intern(regions.RemoveAt(0), branch.Destination, from.Continuation);
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
                    edges.Add((new FlowNode(c.Pending[0].FirstBlockOrdinal, Intern(c.Pending.RemoveAt(0), c.Destination!, c.Parent)), state));
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

    private sealed record Continuation(ImmutableArray<ControlFlowRegion> Pending, BasicBlock? Destination, int Parent);
}
