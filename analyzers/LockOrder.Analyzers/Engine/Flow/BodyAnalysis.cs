using System.Collections.Immutable;
using System.Threading;
using LockOrder.Engine.Knowledge;
using LockOrder.Engine.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace LockOrder.Engine.Flow;

/// <summary>
/// Analyses one body and, recursively, the lambdas and local functions inside it: the walker solves the lock-state
/// dataflow to its fixpoint, then replays the transfer once with the fact recorder listening.
/// </summary>
internal static class BodyAnalysis
{
    public static ImmutableArray<BodyFacts> Analyze(ControlFlowGraph cfg, IMethodSymbol owner, IOperation? root, LockKnowledge knowledge, LockOperations locks, CancellationToken cancellationToken)
    {
        var result = ImmutableArray.CreateBuilder<BodyFacts>();
        AnalyzeInto(cfg, owner, root, knowledge, locks, cancellationToken, result);
        return result.ToImmutable();
    }

    private static void AnalyzeInto(ControlFlowGraph cfg, IMethodSymbol owner, IOperation? root, LockKnowledge knowledge, LockOperations locks, CancellationToken cancellationToken, ImmutableArray<BodyFacts>.Builder result)
    {
        var body = new BodyContext(cfg, owner, cancellationToken, invocation => knowledge.LockMember(invocation.TargetMethod, invocation.Instance?.Type) is not null);
        var walker = new CfgWalker<LockState>(cfg);
        var inputs = walker.Solve(new LockTransfer(body, locks, NullFlowSink.Instance), LockState.Empty, cancellationToken);
        if (inputs is null)
        {
            result.Add(BodyFacts.NotAnalysed(owner, root, "its control flow needs more steps than the lock-state analysis allows a body (" + CfgWalker<LockState>.StepsPerBlock + " per block)"));
        }
        else
        {
            var recorder = new FactRecorder(body, knowledge);
            var incoming = walker.Replay(new LockTransfer(body, locks, recorder), new LockTransfer(body, locks, NullFlowSink.Instance), inputs, cancellationToken);
            result.Add(recorder.Build(cfg, owner, root, incoming, walker.IsExceptional));
            foreach (var lambda in recorder.Lambdas)
            {
                AnalyzeInto(cfg.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken), lambda.Symbol, lambda, knowledge, locks, cancellationToken, result);
            }
        }

        foreach (var local in cfg.LocalFunctions)
        {
            AnalyzeInto(cfg.GetLocalFunctionControlFlowGraph(local, cancellationToken), local, null, knowledge, locks, cancellationToken, result);
        }
    }
}
