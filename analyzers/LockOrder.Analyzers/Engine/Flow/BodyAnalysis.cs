using System.Collections.Immutable;
using System.Threading;
using LockOrder.Engine.Knowledge;
using LockOrder.Engine.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace LockOrder.Engine.Flow;

/// <summary>
/// Analyses one body and, recursively, the lambdas and local functions inside it: the walker solves the lock-state
/// dataflow to its fixpoint, then replays the transfer once with the fact recorder listening; for a body without
/// loops or backward jumps (most bodies), both in one pass in block order (<see cref="CfgWalker{TState}.SolveForward"/>).
/// </summary>
internal static class BodyAnalysis
{
    /// <param name="onePass">False to solve and replay every body, as bodies with loops are (a test compares).</param>
    public static ImmutableArray<BodyFacts> Analyze(ControlFlowGraph cfg, IMethodSymbol owner, IOperation? root, LockKnowledge knowledge, LockOperations locks, CancellationToken cancellationToken, bool onePass = true)
    {
        var result = ImmutableArray.CreateBuilder<BodyFacts>();
        AnalyzeInto(cfg, owner, root, knowledge, locks, onePass, cancellationToken, result);
        return result.ToImmutable();
    }

    private static void AnalyzeInto(ControlFlowGraph cfg, IMethodSymbol owner, IOperation? root, LockKnowledge knowledge, LockOperations locks, bool onePass, CancellationToken cancellationToken, ImmutableArray<BodyFacts>.Builder result)
    {
        var body = new BodyContext(cfg, owner, cancellationToken, invocation => knowledge.LockMember(invocation.TargetMethod, invocation.Instance?.Type) is not null);
        var walker = new CfgWalker<LockState>(cfg);
        var silent = new LockTransfer(body, locks, NullFlowSink.Instance);
        var recorder = new FactRecorder(body, knowledge);
        var entry = LockState.Entry(body.CallerFlags);
        var incoming = onePass && walker.IsForward ? walker.SolveForward(new LockTransfer(body, locks, recorder), silent, entry, cancellationToken) : null;
        if (incoming is null && walker.Solve(silent, entry, cancellationToken) is { } inputs)
        {
            recorder = new FactRecorder(body, knowledge);
            incoming = walker.Replay(new LockTransfer(body, locks, recorder), silent, inputs, cancellationToken);
        }

        if (incoming is null)
        {
            result.Add(BodyFacts.NotAnalysed(owner, root, "its control flow needs more steps than the lock-state analysis allows a body (" + CfgWalker<LockState>.StepsPerBlock + " per block)"));
        }
        else
        {
            result.Add(recorder.Build(cfg, owner, root, incoming, walker.IsExceptional));
            foreach (var lambda in recorder.Lambdas)
            {
                AnalyzeInto(cfg.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken), lambda.Symbol, lambda, knowledge, locks, onePass, cancellationToken, result);
            }
        }

        foreach (var local in cfg.LocalFunctions)
        {
            AnalyzeInto(cfg.GetLocalFunctionControlFlowGraph(local, cancellationToken), local, null, knowledge, locks, onePass, cancellationToken, result);
        }
    }
}
